"""shop.clock: aware now, the database's naive UTC, and Babel-formatted dates without %B."""

import locale as process_locale
from datetime import date, datetime, timedelta, timezone

from shop.clock import (
    DAY,
    format_date,
    format_datetime,
    format_iso,
    from_timestamp,
    naive_utc,
    parse_date,
    parse_datetime,
    utcnow,
)

PLUS_TWO = timezone(timedelta(hours=2))


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_naive_utc_converts_aware_and_keeps_naive():
    assert naive_utc(datetime(2024, 6, 4, 14, 0, tzinfo=PLUS_TWO)) == datetime(2024, 6, 4, 12, 0)
    assert naive_utc(datetime(2024, 6, 4, 12, 0)) == datetime(2024, 6, 4, 12, 0)
    stamped = naive_utc()
    assert stamped.tzinfo is None and abs(
        stamped - datetime.now(timezone.utc).replace(tzinfo=None)
    ) < timedelta(seconds=5)


def test_from_timestamp_is_naive_utc():
    assert from_timestamp(0) == datetime(1970, 1, 1)
    assert from_timestamp(None) == datetime(1970, 1, 1)
    assert from_timestamp(1717502584.5) == datetime(2024, 6, 4, 12, 3, 4, 500000)


def test_dates_are_day_first_with_the_locales_month_names():
    assert format_date(date(2024, 6, 4)) == "4 June 2024"
    assert format_date(date(2024, 6, 4), locale="de") == "4 Juni 2024"
    assert format_date(date(2024, 6, 4), locale="de", pattern="long") == "4. Juni 2024"
    assert format_date(datetime(2024, 6, 4, 23, 30), pattern=DAY) == "Tue 4 Jun 2024"


def test_aware_datetime_shows_its_utc_day():
    late_in_berlin = datetime(2024, 6, 5, 1, 0, tzinfo=PLUS_TWO)  # 23:00 UTC on the 4th
    assert format_date(late_in_berlin) == "4 June 2024"


def test_datetimes_have_no_microseconds():
    moment = datetime(2024, 6, 4, 12, 3, 4, 567890)
    assert format_datetime(moment) == "4 Jun 2024, 12:03:04"
    assert format_datetime(moment.replace(tzinfo=timezone.utc) + timedelta(hours=0)) == "4 Jun 2024, 12:03:04"
    assert format_iso(moment) == "2024-06-04T12:03:04"
    assert format_iso(moment.replace(tzinfo=PLUS_TWO), sep=" ") == "2024-06-04 10:03:04+00:00"


def test_month_names_do_not_follow_the_process_locale():
    before = process_locale.setlocale(process_locale.LC_TIME)
    try:
        for name in ("de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8", "C"):
            try:
                process_locale.setlocale(process_locale.LC_TIME, name)
            except process_locale.Error:
                continue
            assert format_date(date(2024, 6, 4)) == "4 June 2024"
    finally:
        process_locale.setlocale(process_locale.LC_TIME, before)


def test_parse_helpers_refuse_garbage_quietly():
    assert parse_date("2024-06-04") == date(2024, 6, 4)
    assert parse_date("9999-99-99") is None
    assert parse_date("") is None and parse_date(None) is None
    assert parse_datetime("2024-06-04T14:00:00+02:00") == datetime(2024, 6, 4, 12, 0)
    assert parse_datetime("2024-06-04 12:00") == datetime(2024, 6, 4, 12, 0)
    assert parse_datetime("yesterday") is None
