"""Language detection accuracy on a labelled mixed set, per kind, and time per message.

    python benchmarks/bench_language.py                       # SHOP_LANGUAGES' languages (en,zh)
    python benchmarks/bench_language.py --sweep               # accuracy for other limits too
    python benchmarks/bench_language.py --languages en,zh,de,fr --sweep

Each row is a shopper message, the conversation's language before it (``None``: first
message) and the language the shop should answer in. Labels are what a person reading the
message would say, not what the rules give: an English sentence quoting a Chinese product
name is labelled ``en``: the Han rule gets it wrong (kind ``en_with_han``), the price of
getting Chinese sentences with long English product names right (kind ``mixed``). A short answer
that doesn't tell (``ok``, ``104523``, ``👍``) is labelled with the conversation's language,
or the shop's default when there is none. German and French rows count only when those
languages are enabled. Time is :func:`shop.language.detect` per message after warm-up
(every row timed ``--repeat`` times); the cold figure is the first call, lingua loading its
models.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.machine import describe_machine  # noqa: E402
from shop.language import LanguageConfig, config_from, detect  # noqa: E402
from shop.stats import summary  # noqa: E402

N, EN, ZH = None, "en", "zh"

#: (kind, previous language, message, expected language)
ROWS: list[tuple[str, str | None, str, str]] = [
    # English shopper sentences (some after a Chinese conversation: the shopper switched)
    ("en_sentence", N, "Where is my order?", EN),
    ("en_sentence", N, "Hi, I'd like to return a pair of shoes", EN),
    ("en_sentence", N, "Do you ship to Canada?", EN),
    ("en_sentence", N, "How long does delivery usually take?", EN),
    ("en_sentence", N, "Can I change the delivery address?", EN),
    ("en_sentence", N, "I want to cancel my order please", EN),
    ("en_sentence", N, "show me running shoes under $100", EN),
    ("en_sentence", N, "do you have this jacket in a larger size", EN),
    ("en_sentence", N, "what's your return policy", EN),
    ("en_sentence", N, "my package arrived damaged", EN),
    ("en_sentence", EN, "I'd like to talk to a human", EN),
    ("en_sentence", EN, "The zipper broke after two days", EN),
    ("en_sentence", EN, "Is there a discount for students?", EN),
    ("en_sentence", EN, "recommend something for hiking", EN),
    ("en_sentence", EN, "can you track my parcel", EN),
    ("en_sentence", EN, "I never received a confirmation email", EN),
    ("en_sentence", EN, "which colours does it come in", EN),
    ("en_sentence", EN, "when will my refund arrive", EN),
    ("en_sentence", EN, "add the black one to my cart", EN),
    ("en_sentence", EN, "i got the wrong size, can i exchange it", EN),
    ("en_sentence", ZH, "Sorry, can we continue in English?", EN),
    ("en_sentence", ZH, "where is my package now", EN),
    ("en_sentence", ZH, "I want a refund for this order", EN),
    ("en_sentence", ZH, "do you have cheaper headphones", EN),
    ("en_sentence", ZH, "please connect me to an agent", EN),
    ("en_sentence", ZH, "how much is shipping to Shanghai", EN),
    ("en_sentence", ZH, "what payment methods do you accept", EN),
    ("en_sentence", ZH, "the item is out of stock again", EN),
    # English with order numbers, emails, codes, links and emoji around the words
    ("en_with_codes", N, "My order 104523 hasn't arrived yet", EN),
    ("en_with_codes", N, "Can I use SAVE10 on sale items?", EN),
    ("en_with_codes", N, "my email is anna.lee@example.com, please resend the receipt", EN),
    ("en_with_codes", N, "is TS-1042 available in XL?", EN),
    ("en_with_codes", N, "order #104523 arrived broken 😡", EN),
    ("en_with_codes", EN, "I paid 59.99 but was charged 65.98 twice", EN),
    ("en_with_codes", EN, "the code WELCOME15 doesn't work", EN),
    ("en_with_codes", EN, "tracking https://track.example.com/ZX123 shows nothing", EN),
    ("en_with_codes", EN, "return RMA 204511, when is the pickup?", EN),
    ("en_with_codes", EN, "love it 😍😍 thanks so much!", EN),
    ("en_with_codes", ZH, "order 104523 status please", EN),
    ("en_with_codes", ZH, "can you send the invoice to li.wei@example.cn", EN),
    ("en_with_codes", ZH, "I ordered SKU HK-2210 in size 42", EN),
    ("en_with_codes", ZH, "does SAVE10 work with free shipping?", EN),
    # Chinese shopper sentences (some after an English conversation: the shopper switched)
    ("zh_sentence", N, "我的订单在哪里？", ZH),
    ("zh_sentence", N, "我想退货", ZH),
    ("zh_sentence", N, "你们发货到北京吗？", ZH),
    ("zh_sentence", N, "多久能到？", ZH),
    ("zh_sentence", N, "可以改收货地址吗", ZH),
    ("zh_sentence", N, "我要取消订单", ZH),
    ("zh_sentence", N, "推荐一双跑步鞋", ZH),
    ("zh_sentence", N, "这件外套有大号吗", ZH),
    ("zh_sentence", ZH, "退货政策是什么", ZH),
    ("zh_sentence", ZH, "包裹到了但是坏了", ZH),
    ("zh_sentence", ZH, "我想找人工客服", ZH),
    ("zh_sentence", ZH, "拉链两天就坏了", ZH),
    ("zh_sentence", ZH, "学生有折扣吗？", ZH),
    ("zh_sentence", ZH, "帮我查一下物流", ZH),
    ("zh_sentence", ZH, "没收到确认邮件", ZH),
    ("zh_sentence", ZH, "退款什么时候到账", ZH),
    ("zh_sentence", ZH, "好的", ZH),
    ("zh_sentence", ZH, "谢谢", ZH),
    ("zh_sentence", EN, "你好，可以说中文吗？", ZH),
    ("zh_sentence", EN, "我的包裹现在在哪", ZH),
    ("zh_sentence", EN, "运费多少钱", ZH),
    ("zh_sentence", EN, "支持支付宝吗", ZH),
    ("zh_sentence", EN, "好", ZH),
    ("zh_sentence", EN, "這件有黑色的嗎", ZH),
    # Chinese mixed with Latin script: SKUs, order numbers, emails, brands, English words
    ("mixed", N, "我的订单 104523 还没到", ZH),
    ("mixed", N, "请问 SKU TS-1042 有货吗", ZH),
    ("mixed", N, "我的邮箱是 john.smith@example.com", ZH),
    ("mixed", N, "我想买 Nike Air Max 90 的 42 码", ZH),
    ("mixed", N, "优惠码 SAVE10 用不了", ZH),
    ("mixed", N, "Hi，我想退货", ZH),
    ("mixed", ZH, "这个 shirt 有 M size 吗", ZH),
    ("mixed", ZH, "订单号是 #104523", ZH),
    ("mixed", ZH, "iPhone 手机壳有吗", ZH),
    ("mixed", ZH, "我用 PayPal 付款可以吗", ZH),
    ("mixed", ZH, "物流显示 delivered 但我没收到", ZH),
    ("mixed", EN, "我的订单 104523 能退吗", ZH),
    ("mixed", EN, "OK，谢谢", ZH),
    ("mixed", EN, "WELCOME15 是新用户的吗", ZH),
    ("mixed", EN, "Adidas 的鞋打折吗", ZH),
    ("mixed", EN, "RMA 204511 什么时候取件", ZH),
    ("mixed", EN, "👍 好的", ZH),
    ("mixed", EN, "https://shop.example.com/p/77 这个还有吗", ZH),
    ("mixed", N, "我想买 The North Face Men's Thermoball Eco Jacket", ZH),
    ("mixed", ZH, "Levi's 501 Original Fit Jeans 还有 32 码吗", ZH),
    # English quoting a Chinese word: a person says English; the Han rule says Chinese
    ("en_with_han", EN, "Do you have the 龙 dragon t-shirt in blue?", EN),
    ("en_with_han", N, "I want to return the 红色 dress please", EN),
    ("en_with_han", ZH, "the tea set labelled 茶具 arrived broken, can I get a refund", EN),
    # Short answers: the message can't tell, the conversation's language is kept
    ("short", EN, "ok", EN),
    ("short", ZH, "ok", ZH),
    ("short", EN, "yes", EN),
    ("short", ZH, "yes", ZH),
    ("short", ZH, "no", ZH),
    ("short", ZH, "y", ZH),
    ("short", EN, "104523", EN),
    ("short", ZH, "104523", ZH),
    ("short", ZH, "#104523", ZH),
    ("short", ZH, "order 104523", ZH),
    ("short", EN, "a@b.com", EN),
    ("short", ZH, "a@b.com", ZH),
    ("short", ZH, "wang.fang@example.cn", ZH),
    ("short", EN, "SAVE10", EN),
    ("short", ZH, "SAVE10", ZH),
    ("short", ZH, "WELCOME15", ZH),
    ("short", EN, "👍", EN),
    ("short", ZH, "👍", ZH),
    ("short", ZH, "🙏🙏", ZH),
    ("short", ZH, "thanks", ZH),
    ("short", ZH, "thx!", ZH),
    ("short", ZH, "thank you", ZH),
    ("short", ZH, "M", ZH),
    ("short", ZH, "XL", ZH),
    ("short", ZH, "size 42", ZH),
    ("short", ZH, "blue", ZH),
    ("short", ZH, "2", ZH),
    ("short", ZH, "TS-1042", ZH),
    ("short", ZH, "https://shop.example.com/p/123", ZH),
    ("short", ZH, "sure", ZH),
    ("short", ZH, "yes please", ZH),
    ("short", ZH, "no thanks", ZH),
    ("short", ZH, "Air Max 90", ZH),
    ("short", ZH, "PayPal", ZH),
    ("short", ZH, "hi", ZH),
    ("short", ZH, "hello", ZH),
    ("short", EN, "thx", EN),
    ("short", EN, "XL", EN),
    ("short", EN, "ok 👍", EN),
    ("short", EN, "...", EN),
    ("short", EN, "", EN),
    ("short", ZH, "  ", ZH),
    # Short answers opening a conversation: the shop's default
    ("short_first", N, "ok", EN),
    ("short_first", N, "104523", EN),
    ("short_first", N, "a@b.com", EN),
    ("short_first", N, "SAVE10", EN),
    ("short_first", N, "👍", EN),
    ("short_first", N, "hi", EN),
    ("short_first", N, "hello", EN),
    ("short_first", N, "help", EN),
    # German and French (count only when enabled, e.g. --languages en,zh,de,fr)
    ("de_sentence", N, "Wo ist meine Bestellung?", "de"),
    ("de_sentence", N, "Ich möchte die Schuhe zurückgeben", "de"),
    ("de_sentence", EN, "Liefern Sie auch nach Österreich?", "de"),
    ("de_sentence", "de", "Die Jacke ist leider zu klein", "de"),
    ("de_sentence", "de", "Wann kommt meine Rückerstattung?", "de"),
    ("fr_sentence", N, "Où est ma commande ?", "fr"),
    ("fr_sentence", N, "Je voudrais retourner cette robe", "fr"),
    ("fr_sentence", EN, "Livrez-vous en Belgique ?", "fr"),
    ("fr_sentence", "fr", "La taille est trop petite", "fr"),
    ("fr_sentence", "fr", "Quand vais-je recevoir mon remboursement ?", "fr"),
    ("short_de_fr", "de", "ok", "de"),
    ("short_de_fr", "de", "danke", "de"),
    ("short_de_fr", "fr", "merci", "fr"),
    ("short_de_fr", "fr", "oui", "fr"),
    ("short_de_fr", "de", "104523", "de"),
    ("short_de_fr", "fr", "SAVE10", "fr"),
]


def _rows(config: LanguageConfig) -> list[tuple[str, str | None, str, str]]:
    """The rows whose languages (before and expected) are all enabled."""
    enabled = set(config.languages)
    return [r for r in ROWS if r[3] in enabled and (r[1] is None or r[1] in enabled)]


def accuracy(config: LanguageConfig) -> tuple[float, dict[str, tuple[int, int]], list[str]]:
    """Overall accuracy, (right, total) per kind, and a line per wrong answer."""
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong = []
    rows = _rows(config)
    for kind, previous, text, expected in rows:
        got = detect(text, previous, config)
        per_kind[kind][1] += 1
        if got.language == expected:
            per_kind[kind][0] += 1
        else:
            wrong.append(f"  {kind:<13} prev={previous!s:<4} {text!r} -> {got} (expected {expected})")
    right = sum(v[0] for v in per_kind.values())
    return right / len(rows), {k: (v[0], v[1]) for k, v in per_kind.items()}, wrong


def main() -> int:
    """Print accuracy overall and per kind, the misses, and time per message."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="", help="comma-separated (default: SHOP_LANGUAGES)")
    parser.add_argument("--repeat", type=int, default=20, help="timed passes over the rows")
    parser.add_argument("--sweep", action="store_true", help="accuracy for other limits too")
    args = parser.parse_args()
    base = config_from()
    config = LanguageConfig(args.languages or base.languages, base.min_letters, base.min_confidence)
    rows = _rows(config)
    print(f"machine: {describe_machine()}")
    print(
        f"languages={','.join(config.languages)} min_letters={config.min_letters} "
        f"min_confidence={config.min_confidence} rows={len(rows)} (of {len(ROWS)})"
    )

    started = time.perf_counter()
    detect("where is my order", None, config)
    print(f"cold first call (lingua loads its models): {(time.perf_counter() - started) * 1000:.0f} ms")

    overall, per_kind, wrong = accuracy(config)
    right = sum(v[0] for v in per_kind.values())
    print(f"accuracy overall: {overall:.1%} ({right}/{len(rows)})")
    for kind, (ok, total) in per_kind.items():
        print(f"  {kind:<13} {ok / total:6.1%} ({ok}/{total})")
    print("misses:" if wrong else "misses: none")
    for line in wrong:
        print(line)

    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.repeat):
        for _kind, previous, text, _expected in rows:
            started = time.perf_counter()
            reason = detect(text, previous, config).reason
            elapsed = time.perf_counter() - started
            times["all"].append(elapsed)
            times[reason].append(elapsed)
    print(f"time per message, warm, {args.repeat} passes (by deciding rule):")
    for name, sample in times.items():
        s = summary(sample)
        print(f"  {name:<9} p50 {s.p50 * 1e6:6.1f} us  p95 {s.p95 * 1e6:6.1f} us  ({s.n} calls)")

    if args.sweep:
        print("sweep: accuracy by min_letters (rows) x min_confidence (columns)")
        confidences = (0.3, 0.5, 0.7, 0.9)
        print("  min_letters " + " ".join(f"{c:>6}" for c in confidences))
        for letters in (1, 4, 6, 8, 10, 12, 15):
            cells = [accuracy(LanguageConfig(config.languages, letters, c))[0] for c in confidences]
            print(f"  {letters:>11} " + " ".join(f"{a:6.1%}" for a in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
