"""Escaping, splitting, keyboards and callback ids, without any server."""

from __future__ import annotations

from channels.telegram import parse_command
from channels.telegram_format import format_price, split_text, summarize_json, to_html, utf16_len
from channels.telegram_keyboard import CALLBACK_DATA_LIMIT, CallbackPayloads, inline_keyboard, keyboard_rows


def test_html_is_escaped_and_markdown_links_and_bold_become_tags():
    text = "Use **SAVE10** at [our shop](https://shop.example/?a=1&b=2) <now> & save_big *today*"
    assert to_html(text) == (
        'Use <b>SAVE10</b> at <a href="https://shop.example/?a=1&amp;b=2">our shop</a> '
        "&lt;now&gt; &amp; save_big *today*"
    )


def test_links_to_non_http_targets_stay_text():
    assert to_html("[click](javascript:alert(1))") == "[click](javascript:alert(1))"


def test_split_prefers_paragraphs_then_lines_then_spaces():
    assert split_text("aaaa\n\nbbbb\ncccc", limit=10) == ["aaaa", "bbbb\ncccc"]
    assert split_text("aaaa bbbb\ncccc dddd", limit=10) == ["aaaa bbbb", "cccc dddd"]
    assert split_text("aaaa bbbb cccc", limit=10) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("   ") == []


def test_split_counts_emoji_as_two_units_and_never_cuts_one():
    parts = split_text("😀" * 7, limit=4)
    assert parts == ["😀😀", "😀😀", "😀😀", "😀"]
    assert all(utf16_len(p) <= 4 for p in parts)


def test_short_titles_go_two_per_row_long_ones_one_per_row():
    assert keyboard_rows(["Yes", "No", "Maybe"]) == [[0, 1], [2]]
    assert keyboard_rows(["Yes", "Talk to a human agent please"]) == [[0], [1]]
    assert keyboard_rows([]) == []


def test_url_buttons_open_links_and_others_carry_payloads():
    payloads = CallbackPayloads()
    markup = inline_keyboard(
        [{"title": "Track", "url": "https://track.example/1"}, {"title": "Yes", "payload": "/affirm"}],
        payloads,
    )
    [[track, yes]] = markup.inline_keyboard
    assert track.url == "https://track.example/1" and track.callback_data is None
    assert yes.callback_data == "/affirm"


def test_long_payloads_travel_as_short_ids_in_a_bounded_map():
    payloads = CallbackPayloads(max_entries=2)
    long_ones = [f'/recommend_product{{"product":"{"X" * 60}-{i}"}}' for i in range(3)]
    ids = [payloads.encode(p) for p in long_ones]
    assert all(len(i.encode()) <= CALLBACK_DATA_LIMIT for i in ids)
    assert payloads.encode(long_ones[2]) == ids[2]  # same payload, same id
    assert payloads.decode(ids[0]) is None  # pushed out by newer ones
    assert [payloads.decode(i) for i in ids[1:]] == long_ones[1:]
    assert len(payloads) == 2
    assert payloads.encode("/affirm") == "/affirm" and payloads.decode("/affirm") == "/affirm"
    # a short payload that looks like an id is mapped too, so it can never be misread
    assert payloads.decode(payloads.encode("~abc")) == "~abc"


def test_commands_are_recognised_with_bot_name_and_argument():
    assert parse_command("/start@ShopBot ref42") == ("start", "ref42")
    assert parse_command("/HELP") == ("help", "")
    assert parse_command("where is /start") == (None, "where is /start")


def test_prices_and_summaries():
    assert format_price(89.9) == "$89.90"
    assert format_price(2.675) == "$2.68"  # half up, through the repr, never float rounding
    assert format_price(5, "EUR") == "€5.00"
    assert format_price(1500, "JPY") == "¥1,500"
    assert format_price(5, "CHF") == "5 CHF"  # not a shop currency: shown as it came
    assert format_price("$1.00") == "$1.00"
    assert summarize_json({"text": "Connecting you to an agent"}) == "Connecting you to an agent"
    assert summarize_json({"type": "handoff", "queue": 3, "items": [1, 2]}) == (
        "type: handoff\nqueue: 3\nitems: 2 item(s)"
    )
