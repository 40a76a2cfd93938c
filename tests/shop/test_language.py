"""shop.language with the real lingua models: the Han rule, short answers keeping the
conversation's language, the default, the restriction to the shop's languages, the settings."""

from __future__ import annotations

import threading

import pytest
from babel import Locale

from shop import language, settings
from shop.language import (
    DEFAULT,
    DETECTED,
    HAN,
    PREVIOUS,
    Detection,
    LanguageConfig,
    config_from,
    detect,
    judged_text,
    locale_for,
    parse_languages,
    written_language,
)
from shop.money import format_money

EN_ZH = LanguageConfig(("en", "zh"))


@pytest.mark.parametrize("previous", [None, "en", "zh"])
@pytest.mark.parametrize("text", ["我的订单在哪里？", "我想退货", "好", "這件有黑色的嗎"])
def test_a_message_with_han_characters_is_chinese(text: str, previous: str | None) -> None:
    assert detect(text, previous, EN_ZH) == Detection("zh", HAN)


@pytest.mark.parametrize(
    "text",
    [
        "我的订单 104523 还没到",
        "请问 SKU TS-1042 有货吗",
        "我的邮箱是 john.smith@example.com",
        "我想买 The North Face Men's Thermoball Eco Jacket",
        "物流显示 delivered 但我没收到",
        "OK，谢谢",
    ],
)
def test_chinese_mixed_with_latin_codes_and_names_is_chinese(text: str) -> None:
    assert detect(text, "en", EN_ZH).language == "zh"


@pytest.mark.parametrize("previous", [None, "en", "zh"])
@pytest.mark.parametrize(
    "text",
    [
        "Where is my order?",
        "I want a refund for this order",
        "My order 104523 hasn't arrived yet",
        "Can I use SAVE10 on sale items?",
    ],
)
def test_english_sentences_are_english_whatever_came_before(text: str, previous: str | None) -> None:
    result = detect(text, previous, EN_ZH)
    assert (result.language, result.reason) == ("en", DETECTED)
    assert result.confidence == 1.0  # the only Latin-script language of en,zh


@pytest.mark.parametrize("previous", ["en", "zh"])
@pytest.mark.parametrize("text", ["ok", "yes", "104523", "a@b.com", "SAVE10", "👍", "thank you", "", "  "])
def test_short_answers_keep_the_conversations_language(text: str, previous: str) -> None:
    assert detect(text, previous, EN_ZH) == Detection(previous, PREVIOUS)


@pytest.mark.parametrize("text", ["ok", "104523", "👍", None])
def test_a_short_first_message_gets_the_shops_default(text: str | None) -> None:
    assert detect(text, None, EN_ZH) == Detection("en", DEFAULT)
    assert detect(text, None, LanguageConfig(("zh", "en"))) == Detection("zh", DEFAULT)


def test_a_previous_language_the_shop_no_longer_has_gives_the_default() -> None:
    assert detect("ok", "de", EN_ZH) == Detection("en", DEFAULT)


def test_an_unknown_language_is_restricted_away() -> None:
    german = "Wo ist meine Bestellung? Ich warte schon lange"
    assert detect(german, "zh", EN_ZH).language == "en"
    result = detect(german, "en", LanguageConfig(("en", "zh", "de")))
    assert (result.language, result.reason) == ("de", DETECTED)


def test_chinese_is_not_chosen_when_the_shop_does_not_speak_it() -> None:
    result = detect("我的订单在哪里", "de", LanguageConfig(("en", "de"), min_letters=1))
    assert (result.language, result.reason) == ("de", PREVIOUS)


def test_kana_goes_to_the_detector_when_japanese_is_enabled() -> None:
    text = "注文した商品がまだ届いていません"
    assert detect(text, None, LanguageConfig(("en", "zh", "ja"))).language == "ja"
    assert detect(text, None, EN_ZH) == Detection("zh", HAN)


def test_below_the_confidence_threshold_the_previous_language_is_kept() -> None:
    text = "where is my order"
    sure = detect(text, "fr", LanguageConfig(("en", "de", "fr"), min_confidence=0.5))
    assert (sure.language, sure.reason) == ("en", DETECTED)
    assert sure.confidence is not None and 0.5 <= sure.confidence < 0.99
    unsure = detect(text, "fr", LanguageConfig(("en", "de", "fr"), min_confidence=0.99))
    assert (unsure.language, unsure.reason) == ("fr", PREVIOUS)
    assert unsure.confidence == pytest.approx(sure.confidence)  # lingua's last digits vary


def test_the_minimum_letters_counts_only_what_carries_language() -> None:
    assert judged_text("order #104523: SAVE10 a@b.com https://x.example/p?q=1 👍 WELCOME thanks!") == (
        "order thanks"
    )
    assert detect("thanks", "zh", LanguageConfig(("en", "zh"), min_letters=6)).reason == DETECTED
    assert detect("thanks", "zh", LanguageConfig(("en", "zh"), min_letters=7)).reason == PREVIOUS


def test_hostile_input_never_raises() -> None:
    for text in ["a" * 100_000, "\x00\ufffd" * 50, "🙂" * 5000, "我" * 100_000, 123]:
        result = detect(text, "en", EN_ZH)  # type: ignore[arg-type]
        assert result.language in ("en", "zh")


def test_detectors_are_built_once_when_threads_race() -> None:
    config = LanguageConfig(("en", "zh", "es"))
    language._detectors.pop(config.languages, None)
    barrier = threading.Barrier(4)
    results: list[Detection] = []

    def worker() -> None:
        barrier.wait()
        results.append(detect("¿Dónde está mi pedido? Lo pedí hace dos semanas", "en", config))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.language for r in results] == ["es"] * 4
    assert config.languages in language._detectors


def test_languages_are_parsed_from_the_settings() -> None:
    assert parse_languages("en, ZH,en") == ("en", "zh")
    assert parse_languages(("zh", "de")) == ("zh", "de")
    for bad in ("", " , ", "xx", "en,eng"):
        with pytest.raises(ValueError, match="SHOP_LANGUAGES"):
            parse_languages(bad)
    assert config_from(settings.load({})) == LanguageConfig(("en", "zh"), 10, 0.5)
    env = {
        "SHOP_LANGUAGES": "zh,en,de",
        "SHOP_LANGUAGE_MIN_LETTERS": "6",
        "SHOP_LANGUAGE_MIN_CONFIDENCE": "0.8",
    }
    config = config_from(settings.load(env))
    assert config == LanguageConfig(("zh", "en", "de"), 6, 0.8)
    assert config.default == "zh"
    with pytest.raises(ValueError, match="SHOP_LANGUAGES"):
        config_from(settings.load({"SHOP_LANGUAGES": "en,klingon"}))
    with pytest.raises(ValueError, match="min_confidence"):
        LanguageConfig(("en",), min_confidence=1.5)


def test_locales_are_ones_babel_formats_with() -> None:
    assert locale_for("en") == "en_US"
    assert locale_for("zh") == "zh_Hans_CN"
    assert Locale.parse("zh_CN") == Locale.parse(locale_for("zh"))
    assert locale_for("de") == "de_DE"
    assert locale_for("ja") == "ja_JP"
    assert format_money("1234.5", "USD", locale_for("en")) == "$1,234.50"
    assert format_money("1234.5", "USD", locale_for("zh")) == "US$1,234.50"
    for code in ("en", "zh", "de", "fr", "ja", "es"):
        Locale.parse(locale_for(code))


def test_the_guards_answer_in_the_written_language_without_the_detector() -> None:
    # Han characters: Chinese when the shop speaks it; anything else: the shop's default.
    both = LanguageConfig(("en", "zh"))
    assert written_language("还在吗？", both) == "zh"
    assert written_language("订单 104523 where", both) == "zh"
    assert written_language("¿dónde está mi pedido?", both) == "en"
    assert written_language(None, both) == "en"
    assert written_language("还在吗？", LanguageConfig(("en",))) == "en"
    assert written_language("hello", LanguageConfig(("zh", "en"))) == "zh"
    assert written_language("日本語のテキスト", LanguageConfig(("en", "zh", "ja"))) == "en"
