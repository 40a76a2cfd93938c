"""Which language a shopper writes in: decided per message, sticky per conversation.

:func:`detect` applies, in order:

1. **Han rule.** A message with Han characters is Chinese when ``zh`` is one of the shop's
   languages (Japanese kana in the message leaves the call to the detector when ``ja`` is
   enabled). lingua decides Chinese by script anyway; the rule makes it explicit, cheap and
   immune to the Latin order numbers, SKUs and brands Chinese shoppers mix in.
2. **Strip what carries no language**: URLs, emails, codes mixing letters and digits
   (``SAVE10``, ``TS-1042``), all-capital tokens (``WELCOME``, ``UK``, ``ASAP``), digits
   (order numbers), emoji and punctuation.
3. **Minimum letters.** Fewer letters than ``min_letters`` left (``ok``, ``yes``, ``104523``,
   ``a@b.com``, ``👍``): the message can't tell, the conversation's language is kept.
4. **lingua** (``lingua-language-detector``, models inside the wheel, no download), restricted
   to the shop's languages: a German message in an ``en,zh`` shop comes out English, never
   German. Its top confidence below ``min_confidence``: the conversation's language is kept.
   Restricted to ``en,zh`` the confidence of Latin text is always 1.0 (English is the only
   Latin candidate), so rules 1 and 3 decide there; with ``de``/``fr`` enabled it matters.

"Kept" means ``previous`` when it is one of the shop's languages, else the shop's default
(the first of ``SHOP_LANGUAGES``). lingua runs in its high-accuracy mode: the low-accuracy
mode (trigrams only) took "where is my order" for German among en/de/fr. Detectors are built
once per set of languages, lazily and under a lock; lingua loads its models on the first
message (about 0.25 s per Latin-script language), :func:`warm_up` does that ahead of time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from babel.core import get_global
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from shop.settings import ShopSettings, load

__all__ = [
    "DEFAULT",
    "DETECTED",
    "HAN",
    "PREVIOUS",
    "Detection",
    "LanguageConfig",
    "config_from",
    "detect",
    "judged_text",
    "locale_for",
    "parse_languages",
    "warm_up",
    "written_language",
]

HAN = "han"  # the message has Han characters
DETECTED = "detected"  # lingua, confident enough
PREVIOUS = "previous"  # too few letters or lingua unsure: the conversation's language kept
DEFAULT = "default"  # as PREVIOUS, but the conversation had no (usable) language yet

#: Only the start of a long message is judged: the language shows in a few hundred letters.
MAX_JUDGED_CHARS = 1000

_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_KANA_RE = re.compile("[\u3040-\u30ff\u31f0-\u31ff]")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL_RE = re.compile(r"\S+@\S+")
#: A token mixing letters and digits, hyphens allowed: SAVE10, TS-1042, 2XL, A1B2C3.
_CODE_RE = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[^\W\d_])[\w-]+\b")
#: All capitals, two letters or more: coupon words, acronyms, sizes (WELCOME, UK, XL).
_CAPS_RE = re.compile(r"\b[A-Z]{2,}\b")

_BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}


@dataclass(frozen=True)
class Detection:
    """The language of one message and the rule that decided it (:data:`HAN`, ...).

    ``confidence`` is lingua's top value when lingua ran (so PREVIOUS/DEFAULT with a
    confidence means "unsure", without one "too short").
    """

    language: str
    reason: str
    confidence: float | None = None


@dataclass(frozen=True)
class LanguageConfig:
    """The shop's languages (ISO 639-1, the first is the default) and the detector's limits."""

    languages: tuple[str, ...] = ("en", "zh")
    min_letters: int = 10
    min_confidence: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", parse_languages(self.languages))
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be within 0-1, got {self.min_confidence}")

    @property
    def default(self) -> str:
        """The language of a conversation before any message has told."""
        return self.languages[0]


def parse_languages(codes: Iterable[str] | str) -> tuple[str, ...]:
    """``"en, ZH"`` or ``("en", "zh")`` -> ``("en", "zh")``: lower case, no repeats, order kept.

    Raises ValueError for an empty list or a code lingua has no model for (``xx``, ``eng``).
    """
    items = codes.split(",") if isinstance(codes, str) else list(codes)
    result: list[str] = []
    for item in items:
        code = item.strip().lower()
        if not code or code in result:
            continue
        try:
            IsoCode639_1.from_str(code)
        except ValueError:
            raise ValueError(f"SHOP_LANGUAGES: {code!r} is not an ISO 639-1 code lingua knows") from None
        result.append(code)
    if not result:
        raise ValueError("SHOP_LANGUAGES must name at least one language")
    return tuple(result)


def config_from(settings: ShopSettings | None = None) -> LanguageConfig:
    """The detector's configuration from the shop's settings (default: the environment's)."""
    s = settings or load()
    return LanguageConfig(s.shop_languages, s.language_min_letters, s.language_min_confidence)


_detectors: dict[tuple[str, ...], LanguageDetector] = {}
_detectors_lock = threading.Lock()


def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    """One lingua detector per set of languages, built on first use (building is cheap,
    the models load on the first message)."""
    detector = _detectors.get(languages)
    if detector is None:
        with _detectors_lock:
            detector = _detectors.get(languages)
            if detector is None:
                wanted = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in languages]
                detector = LanguageDetectorBuilder.from_languages(*wanted).build()
                _detectors[languages] = detector
    return detector


def warm_up(config: LanguageConfig | None = None) -> None:
    """Build the detector and load its models now, not on a shopper's first message."""
    config = config or LanguageConfig()
    _detector(config.languages).compute_language_confidence_values("warm up the language models")


def judged_text(text: str) -> str:
    """The letters of ``text`` that carry language: no URLs, emails, codes, digits or emoji."""
    text = _URL_RE.sub(" ", text[:MAX_JUDGED_CHARS])
    text = _EMAIL_RE.sub(" ", text)
    text = _CODE_RE.sub(" ", text)
    text = _CAPS_RE.sub(" ", text)
    kept = "".join(c if c.isalpha() or c in "'’" else " " for c in text)
    return " ".join(kept.split())


def _kept(previous: str | None, config: LanguageConfig, confidence: float | None) -> Detection:
    if previous in config.languages:
        return Detection(previous, PREVIOUS, confidence)
    return Detection(config.default, DEFAULT, confidence)


def detect(
    text: str | None,
    previous: str | None = None,
    languages: LanguageConfig | Iterable[str] | None = None,
) -> Detection:
    """The language of ``text`` given the conversation's language so far (``previous``).

    ``languages`` is a :class:`LanguageConfig` or just the languages (default limits);
    ``None`` means ``en,zh``. Never raises for any text; None or blank keeps ``previous``.
    """
    if isinstance(languages, LanguageConfig):
        config = languages
    else:
        config = LanguageConfig() if languages is None else LanguageConfig(tuple(languages))
    text = text if isinstance(text, str) else ""
    head = text[:MAX_JUDGED_CHARS]
    if _written_in_han(head, config):
        return Detection("zh", HAN)
    judged = judged_text(head)
    if sum(c.isalpha() for c in judged) < config.min_letters:
        return _kept(previous, config, None)
    values = _detector(config.languages).compute_language_confidence_values(judged)
    best = values[0] if values else None
    if best is None or best.value <= 0.0 or best.value < config.min_confidence:
        return _kept(previous, config, best.value if best else None)
    code = best.language.iso_code_639_1.name.lower()
    return Detection(code, DETECTED, best.value)


def written_language(text: str | None, config: LanguageConfig | None = None) -> str:
    """The language to answer ``text`` in before its conversation is read (the input guards).

    Only the Han rule of :func:`detect` (cheap, and never wrong for Chinese): a message with
    Han characters is Chinese when the shop speaks it, anything else gets the shop's default
    language. A guard answers floods and oversized messages, so it must not run the detector.
    """
    config = config or config_from()
    head = (text if isinstance(text, str) else "")[:MAX_JUDGED_CHARS]
    return "zh" if _written_in_han(head, config) else config.default


def _written_in_han(head: str, config: LanguageConfig) -> bool:
    """The Han rule: Chinese when the shop speaks it and the text has Han characters (and no
    kana, when the shop also speaks Japanese)."""
    if "zh" not in config.languages or not _HAN_RE.search(head):
        return False
    return not ("ja" in config.languages and _KANA_RE.search(head))


def locale_for(language: str) -> str:
    """The Babel locale that formats money and dates for ``language``: en -> en_US,
    zh -> zh_Hans_CN (Babel 2.x reads ``zh_CN`` as the same); others by CLDR's likely
    territory (de -> de_DE, ja -> ja_JP), the language alone when CLDR has none."""
    code = language.strip().lower()
    if code in _BABEL_LOCALES:
        return _BABEL_LOCALES[code]
    likely = str(get_global("likely_subtags").get(code, ""))
    territory = likely.split("_")[-1] if likely.count("_") else ""
    return f"{code}_{territory}" if territory else code
