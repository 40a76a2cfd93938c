"""The language of each shopper message and of each conversation, as the console records it.

A conversation's language is the assistant's ``language`` slot (the one its responses follow),
the last value it set. Conversations where the slot was never set (older ones, or ingested
before the assistant had it) get the language of their messages instead, decided as the
assistant decides it (:func:`shop.language.detect`, sticky: a short "ok" keeps the language so
far). Each message's own language is the NLU's ``language`` entity when the message decided it
(nlu_components/language_entity.py), else the same detection; the NLU inbox keeps it with each
example and the export writes it out.

Both virtualenvs install lingua (``lingua-language-detector``, in requirements.lock and
requirements-web.lock), so the console decides exactly as the assistant does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shop.language import detect

__all__ = [
    "ENTITY",
    "LABELS",
    "SLOT",
    "code_or_blank",
    "label",
    "message_language",
    "parse_languages",
]

#: The domain's slot and the NLU's entity (both ``language``).
SLOT = "language"
ENTITY = "language"
#: How the console names each language (in its own script, as shoppers would).
LABELS = {"en": "English", "zh": "中文 (Chinese)"}


def parse_languages(codes: Iterable[str] | str) -> tuple[str, ...]:
    """``"en, ZH"`` or ``("en", "zh")`` -> ``("en", "zh")``: lower case, no blanks or repeats."""
    items = codes.split(",") if isinstance(codes, str) else list(codes)
    out: list[str] = []
    for code in (str(c).strip().lower() for c in items):
        if code and code not in out:
            out.append(code)
    return tuple(out) or ("en",)


def code_or_blank(raw: str) -> str:
    """A ``?language=`` value as a filter takes it: a short plain code (``zh``), else blank (any)."""
    code = raw.strip().lower()
    return code if code.isascii() and code.isalpha() and len(code) <= 8 else ""


def label(code: str | None) -> str:
    """A language code as the console shows it (``zh`` -> ``中文 (Chinese)``; unknown codes as is)."""
    if not code:
        return ""
    return LABELS.get(code, code)


def _entity_language(entities: Iterable[Mapping[str, Any]], languages: Sequence[str]) -> str | None:
    for ent in entities:
        if isinstance(ent, Mapping) and ent.get("entity") == ENTITY and ent.get("value") in languages:
            return str(ent["value"])
    return None


def message_language(
    text: str, entities: Iterable[Mapping[str, Any]], previous: str | None, languages: Sequence[str]
) -> str:
    """The language of one message: the NLU's ``language`` entity, else detected from ``text``.

    ``previous`` is the conversation's language so far (kept when the text can't tell);
    ``languages`` the shop's, its default first.
    """
    found = _entity_language(entities, languages)
    if found:
        return found
    if text.startswith("/"):  # a button's payload ("/inform{...}"): no language in it
        return _kept(previous, languages)
    return str(detect(text, previous, tuple(languages)).language)


def _kept(previous: str | None, languages: Sequence[str]) -> str:
    """The conversation's language so far when it is one of the shop's, else the default."""
    return previous if previous is not None and previous in languages else languages[0]
