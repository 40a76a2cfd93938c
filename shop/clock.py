"""Clock and dates: one place that reads the time and one that writes it for people.

The database keeps naive UTC datetimes (SQLAlchemy ``DateTime`` without a zone), so
``naive_utc()`` is how every service stamps or compares a row; ``utcnow()`` is the aware
current time for everything else. A naive datetime handed to this module is read as UTC.

Dates a person reads go through Babel with a fixed CLDR pattern, never ``strftime``'s
``%B``/``%b`` (which follow the process locale): month and weekday names come from the
``locale`` argument, the order of the fields is the shop's (``4 June 2024``). Formatted
times never show microseconds.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_skeleton as _babel_skeleton

__all__ = [
    "DATE",
    "DATETIME",
    "DAY",
    "format_date",
    "format_datetime",
    "format_iso",
    "format_local_date",
    "from_timestamp",
    "naive_utc",
    "parse_date",
    "parse_datetime",
    "utcnow",
]

#: ``4 June 2024`` - dates in sentences (offer end dates, rejections).
DATE = "d MMMM y"
#: ``Tue 4 Jun 2024`` - order, delivery and scan days in chat replies.
DAY = "EEE d MMM y"
#: ``4 Jun 2024, 12:03:04`` - timestamps in lists (console), UTC, whole seconds.
DATETIME = "d MMM y, HH:mm:ss"


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (never the naive ``datetime.utcnow()``)."""
    return datetime.now(timezone.utc)


def naive_utc(value: Optional[datetime] = None) -> datetime:
    """``value`` (default: now) as the naive UTC datetime the database stores and compares.

    Aware values are converted to UTC first; naive values are taken to be UTC already.
    """
    if value is None:
        value = utcnow()
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def from_timestamp(ts: float | int | None) -> datetime:
    """Epoch seconds (a Rasa event timestamp; ``None`` -> 0) as naive UTC."""
    return datetime.fromtimestamp(float(ts or 0.0), tz=timezone.utc).replace(tzinfo=None)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def format_date(value: date | datetime, locale: str = "en", pattern: str = DATE) -> str:
    """A date for a person: ``4 June 2024`` (``4 Juni 2024`` in ``de``).

    ``pattern`` is a CLDR pattern (``DATE``, ``DAY``) or a Babel length (``"long"``) for the
    locale's own order. A datetime is shown as its UTC calendar day.
    """
    if isinstance(value, datetime):
        value = _aware(value).astimezone(timezone.utc).date()
    return str(_babel_date(value, pattern, locale=locale))


#: CLDR skeletons for languages other than English: the locale picks the order and words.
_SKELETON_DATE = "yMMMd"  # 2026年12月2日
_SKELETON_DAY = "yMMMEd"  # 2026年12月2日周三


def format_local_date(value: date | datetime, locale: str = "en", weekday: bool = False) -> str:
    """A date in a sentence in ``locale``'s own way: English keeps the shop's field order
    (:data:`DATE` ``4 June 2024``, with ``weekday`` :data:`DAY` ``Tue 4 Jun 2024``), other
    locales CLDR's (``zh_Hans_CN``: ``2024年6月4日``, ``2024年6月4日周二``).
    """
    if locale == "en" or locale.startswith(("en_", "en-")):
        return format_date(value, locale, DAY if weekday else DATE)
    if isinstance(value, datetime):
        value = _aware(value).astimezone(timezone.utc).date()
    return str(_babel_skeleton(_SKELETON_DAY if weekday else _SKELETON_DATE, value, locale=locale))


def format_datetime(value: datetime, locale: str = "en", pattern: str = DATETIME) -> str:
    """A moment for a person, in UTC, to the second: ``4 Jun 2024, 12:03:04``."""
    moment = _aware(value).replace(microsecond=0)
    return str(_babel_datetime(moment, pattern, tzinfo=timezone.utc, locale=locale))


def format_iso(value: datetime, sep: str = "T") -> str:
    """ISO 8601 in UTC without microseconds, for APIs and logs: ``2024-06-04T12:03:04+00:00``.

    Naive values (the database's) stay naive: ``2024-06-04T12:03:04``.
    """
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.isoformat(sep, "seconds")


def parse_date(raw: Optional[str]) -> Optional[date]:
    """``YYYY-MM-DD`` from untrusted input (a query string); empty or malformed -> ``None``."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def parse_datetime(raw: Optional[str]) -> Optional[datetime]:
    """An ISO 8601 datetime from untrusted input as naive UTC; empty or malformed -> ``None``."""
    if not raw:
        return None
    try:
        return naive_utc(datetime.fromisoformat(raw.strip()))
    except ValueError:
        return None
