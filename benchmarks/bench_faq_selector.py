#!/usr/bin/env python
"""FAQ sub-intent selection: Rasa's ResponseSelector against ``FaqSelector``, same folds.

Runs ``rasa test nlu --cross-validation`` (numpy seeded, so both selectors see the same
folds) on the ``faq/*`` examples alone (every file under data/nlu, English and Chinese:
faq.yml, zh/faq.yml and the few in zh/widget.yml and zh/boundaries.yml), with config.yml's
tokenizer and featurizers followed by one selector, and prints accuracy and macro F1 of the
sub-intent per language (a text with a Han character is Chinese) and overall. Only the FAQ
examples are used: neither selector trains on anything else, and it keeps the run to minutes
(the count-vector vocabulary is the FAQ's, the same for both).

Usage (from the project root):

    .venv/bin/python benchmarks/bench_faq_selector.py                  # both, 5 folds, seed 1
    .venv/bin/python benchmarks/bench_faq_selector.py --only FaqSelector --json /tmp/faq.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlu_cross_validation import SELECTORS, _seeded_rasa  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NLU = ROOT / "data" / "nlu"
#: The ResponseSelector entry config.yml had before FaqSelector replaced it (commit b2ff1cf).
RESPONSE_SELECTOR = {
    "name": "ResponseSelector",
    "epochs": 60,
    "retrieval_intent": "faq",
    "constrain_similarities": True,
    "random_seed": 42,
}
FAQ_SELECTOR = "nlu_components.faq_selector.FaqSelector"
LANGS = ("en", "zh", "all")


def _reads_text(component: Dict[str, Any]) -> bool:
    """Tokenizers and featurizers: what turns a text into the features a selector reads."""
    name = str(component["name"])
    return name not in SELECTORS and ("Tokenizer" in name or "Featurizer" in name)


def variant_config(base: Dict[str, Any], selector: str, out_dir: Path) -> Path:
    """config.yml's reading components plus one selector (config.yml's own FaqSelector entry)."""
    pipeline = [c for c in base["pipeline"] if _reads_text(c)]
    if selector == "ResponseSelector":
        pipeline.append(dict(RESPONSE_SELECTOR))
    else:
        ours = [c for c in base["pipeline"] if c["name"] == FAQ_SELECTOR]
        pipeline.append(dict(ours[0]) if ours else {"name": FAQ_SELECTOR})
    cfg = {k: v for k, v in base.items() if k not in ("pipeline", "policies")}
    cfg["pipeline"] = pipeline
    path = out_dir / f"config_{selector}.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_faq_examples(path: Path) -> int:
    """Writes every ``faq/*`` example of data/nlu to ``path`` (Rasa YAML); how many."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(NLU))
    faq = [m for m in data.intent_examples if m.get("intent") == "faq" and m.get("intent_response_key")]
    RasaYAMLWriter().dump(path, TrainingData(training_examples=faq))
    return len(faq)


def _language(text: str) -> str:
    from nlu_components.bilingual_tokenizer import HAN

    return "zh" if HAN.search(text) else "en"


def scores(out_dir: Path) -> Dict[str, Dict[str, float]]:
    """Accuracy and macro F1 of the sub-intent, per language and overall, from rasa's files."""
    from sklearn.metrics import f1_score

    rows: List[Dict[str, Any]] = []
    for name in ("response_selection_successes.json", "response_selection_errors.json"):
        path = out_dir / name
        if path.exists():
            rows += json.loads(path.read_text(encoding="utf-8"))
    result: Dict[str, Dict[str, float]] = {}
    for lang in LANGS:
        chosen = [r for r in rows if lang == "all" or _language(r["text"]) == lang]
        gold = [r["intent_response_key_target"] for r in chosen]
        pred = [r["intent_response_key_prediction"]["name"] or "" for r in chosen]
        result[lang] = {
            "n": len(chosen),
            "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / max(len(chosen), 1), 4),
            "macro_f1": round(float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro")), 4),
        }
    return result


def run(selector: str, base: Dict[str, Any], work: Path, folds: int, seed: int) -> Dict[str, Any]:
    """Cross-validates one selector; its scores and the wall time."""
    out_dir = work / selector
    out_dir.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    cmd = _seeded_rasa(seed) + [
        "test",
        "nlu",
        "--cross-validation",
        "--folds",
        str(folds),
        "--config",
        str(variant_config(base, selector, work)),
        "--nlu",
        str(data),
        "--out",
        str(out_dir),
        "--no-plot",
        "--no-warnings",
        "--successes",
    ]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    env.setdefault("LOG_LEVEL", "WARNING")
    start = time.monotonic()
    subprocess.run(cmd, env=env, check=True, cwd=ROOT)
    return {"seconds": round(time.monotonic() - start, 1), **scores(out_dir)}


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", choices=["ResponseSelector", "FaqSelector"], default=None)
    p.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)

    base = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    work = Path(tempfile.mkdtemp(prefix="faq-cv-"))
    (work / "data").mkdir()
    write_faq_examples(work / "data" / "faq.yml")
    figures: Dict[str, Any] = {"folds": args.folds, "seed": args.seed}
    for selector in [args.only] if args.only else ["ResponseSelector", "FaqSelector"]:
        figures[selector] = run(selector, base, work, args.folds, args.seed)
        print(json.dumps({selector: figures[selector]}), flush=True)
    print(f"\nFAQ sub-intent, {args.folds}-fold CV (seed {args.seed}); reports in {work}")
    for selector in ("ResponseSelector", "FaqSelector"):
        if selector in figures:
            row = figures[selector]
            cells = [f"{k} acc {row[k]['accuracy']:.4f} F1 {row[k]['macro_f1']:.4f}" for k in LANGS]
            print(f"  {selector:<17} " + "  ".join(cells) + f"  ({row['seconds']:.0f}s)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
