"""Tokenizer for English and Chinese messages in one pipeline (issue 14).

Rasa's ``JiebaTokenizer`` is zh-only and hands mixed text to jieba as is: jieba then emits
whitespace tokens (``' '``), splits ``a@b.com`` into five tokens and ``$50`` into two, so
entity spans stop lining up with tokens. ``WhitespaceTokenizer`` on the other hand keeps a
whole Chinese sentence as one token.

``BilingualTokenizer`` is a ``WhitespaceTokenizer``: a text without Han characters is
tokenized by the base class itself, so English tokens (and everything trained on them) are
unchanged. A text with Han characters is split in two layers that never overlap:

* the Han runs go to jieba (one shared, lazily initialised segmenter);
* everything else, with every Han character and every non-ASCII punctuation mark
  (``，。？！：～…``) replaced by a space, goes through the whitespace tokenizer's own rules,
  so ``104523``, ``#104523``, ``a@b.com``, ``SAVE10``, ``$50`` and ``¥200`` stay single tokens
  with their offsets in the original text (``100美元`` becomes ``100`` + ``美元``);
* a Chinese number glued to a measure word is cut like its Arabic twin (五星 as 5星).

No token is whitespace or a bare emoji. Intent splitting and ``token_pattern`` work as in
the base class (``token_pattern`` is applied to the tokens of both layers).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, List, Optional

import regex
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

if TYPE_CHECKING:
    import jieba

logger = logging.getLogger(__name__)

#: A Han character: the signal that a text takes the jieba path.
HAN = regex.compile(r"\p{Han}")
HAN_RUN = regex.compile(r"\p{Han}+")
#: What separates Latin tokens in Chinese text: Han characters and non-ASCII punctuation or
#: maths signs (full-width ，。？！：～ …). Currency signs (¥ ￥) are symbols, not punctuation,
#: so they stay attached to their amount, like ``$`` in ``$50``.
#: ASCII ``,:;!?`` right after a Han character count as the same separators
#: (``订单号:661705``; in English ``:661705`` would stay one token, as a number can follow).
SEPARATOR = regex.compile(r"\p{Han}|(?=[^\x00-\x7f])[\p{P}\p{Sm}]|(?<=\p{Han})[,:;!?]")
#: A jieba word made of a Chinese number and a measure word (五星, 五分, 两百块, 一个): split
#: like ``5星`` / ``5分`` / ``200块``, which jieba already cuts in two, so 五 and 5 can carry the
#: same entity (``csat_score``, ``amount``) and the measure word is the same token either way.
NUMERAL_MEASURE = regex.compile(r"([零一二两三四五六七八九十百千万]+)(星|分|块|元|个|件|号)")
#: ``WhitespaceTokenizer.tokenize``'s punctuation rule, verbatim from Rasa 3.6.21
#: (``tests/nlu/test_bilingual_tokenizer.py`` checks it still agrees with the base class).
NON_WORD = regex.compile(
    r"[^\w#@&]+(?=\s|$)|"
    r"(\s|^)[^\w#@&]+(?=[^0-9\s])|"
    r"(?<=[^0-9\s])[^\w._~:/?#\[\]()@!$&*+,;=-]+(?=[^0-9\s])"
)

_segmenter: Optional[jieba.Tokenizer] = None
_segmenter_lock = threading.Lock()


def segmenter() -> jieba.Tokenizer:
    """The process's jieba segmenter, its dictionary loaded on first use (~1 s), once.

    A private ``jieba.Tokenizer`` rather than jieba's global one, so that other code loading
    user dictionaries into ``jieba.dt`` (Rasa's ``JiebaTokenizer`` does) cannot change how
    this pipeline segments.
    """
    global _segmenter
    if _segmenter is None:
        with _segmenter_lock:
            if _segmenter is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict" chatter on stderr
                started = time.perf_counter()
                instance = jieba.Tokenizer()
                instance.initialize()
                logger.debug("jieba dictionary loaded in %.2f s", time.perf_counter() - started)
                _segmenter = instance
    return _segmenter


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class BilingualTokenizer(WhitespaceTokenizer):
    """Whitespace tokens for English, jieba words plus whole Latin/digit runs for Chinese."""

    @staticmethod
    def not_supported_languages() -> Optional[List[str]]:
        """None: Chinese is the point (the base class refuses zh, ja and th)."""
        return None

    @staticmethod
    def required_packages() -> List[str]:
        """jieba segments the Han runs."""
        return ["jieba"]

    def tokenize(self, message: Message, attribute: str) -> List[Token]:
        """The base class's tokens for text without Han characters, else both layers."""
        text = message.get(attribute)
        if not HAN.search(text):
            return super().tokenize(message, attribute)
        tokens = sorted(self.latin_tokens(text) + han_tokens(text), key=lambda t: t.start)
        return self._apply_token_pattern(tokens or [Token(text, 0)])

    def latin_tokens(self, text: str) -> List[Token]:
        """The whitespace tokenizer's tokens of ``text`` with Han and CJK punctuation blanked.

        Blanking replaces one character by one space, so offsets are the original text's.
        Unlike the base class, nothing falls back to the whole text when no word is left.
        """
        blanked = SEPARATOR.sub(" ", text)
        words = [self.remove_emoji(w) for w in NON_WORD.sub(" ", blanked).split()]
        return self._convert_words_to_tokens([w for w in words if w], blanked)


def han_tokens(text: str) -> List[Token]:
    """jieba's words of every Han run of ``text``, offsets in ``text``."""
    tokens = []
    for run in HAN_RUN.finditer(text):
        for word, start, _end in segmenter().tokenize(run.group()):
            offset = run.start() + start
            split = NUMERAL_MEASURE.fullmatch(word)
            if split:
                tokens.append(Token(split.group(1), offset))
                tokens.append(Token(split.group(2), offset + split.end(1)))
            else:
                tokens.append(Token(word, offset))
    return tokens
