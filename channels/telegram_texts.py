"""The Telegram channel's own words in each language, and the language a Telegram user hints.

Telegram sends each user's app language as ``language_code`` (an IETF tag: ``en``,
``en-GB``, ``zh-hans``, ``zh-TW``, ...). :func:`language_hint` turns it into one of the
shop's languages (``SHOP_LANGUAGES``) or None; the channel passes that on as
``metadata["language"]``, the same hint the website widget sends, and answers the messages it
handles itself (/help, a sticker, /restart, an expired button) in it. It is only a hint: what
the shopper writes decides the conversation's language (shop/language.py).
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

__all__ = ["TEXTS", "language_hint", "texts"]

TEXTS: Dict[str, Dict[str, str]] = {
    "en": {
        "help": (
            "I'm the shop's assistant. I can help you with:\n"
            "• where your order is, or cancelling it\n"
            "• returns and refunds\n"
            "• product questions and recommendations\n"
            "• coupons, discounts, shipping and payment questions\n\n"
            "Just write what you need, e.g. “where is my order 104523?”.\n"
            "/start – say hello\n/restart – forget this conversation and start over\n/help – this message"
        ),
        "not_text": (
            "Sorry, I can only read text messages. Please type your question, and I'll do my best to help."
        ),
        "private_only": "I only chat in private messages. Please open a direct chat with me.",
        "restarted": "Okay, let's start over. How can I help you?",
        "expired_button": "This button has expired. Please type your answer instead.",
        "more_like": "More like this",
    },
    "zh": {
        "help": (
            "我是本店的购物助手，可以帮您：\n"
            "• 查询订单到哪了，或者取消订单\n"
            "• 退货和退款\n"
            "• 商品咨询和推荐\n"
            "• 优惠券、折扣、配送和付款问题\n\n"
            "直接告诉我您需要什么就行，比如“我的订单104523到哪了？”。\n"
            "/start – 打个招呼\n/restart – 清除本次对话，重新开始\n/help – 显示这条说明"
        ),
        "not_text": "抱歉，我只能看懂文字消息。请把您的问题打出来，我会尽力帮您。",
        "private_only": "我只在私聊里回复。请直接和我开一个私聊。",
        "restarted": "好的，我们重新开始。请问有什么可以帮您？",
        "expired_button": "这个按钮已经失效了，请直接输入您的回答。",
        "more_like": "看看类似的",
    },
}


def language_hint(language_code: object, languages: Sequence[str]) -> Optional[str]:
    """``"zh-hans"`` / ``"zh-TW"`` -> ``"zh"``, ``"en-GB"`` -> ``"en"`` when the shop has it; else None.

    Anything that is not a short tag (a client can put any string here) gives None.
    """
    if not isinstance(language_code, str) or not 0 < len(language_code) <= 35:
        return None
    base = language_code.strip().lower().replace("_", "-").split("-", 1)[0]
    return base if base.isalpha() and base in languages else None


def texts(language: Optional[str]) -> Dict[str, str]:
    """The channel's words in ``language``; English for a language it has no words in."""
    return TEXTS.get(language or "en", TEXTS["en"])
