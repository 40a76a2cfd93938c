#!/usr/bin/env python
"""NLU k-fold cross-validation benchmark.

Runs ``rasa test nlu --cross-validation`` on the NLU training data and prints
intent macro / weighted F1, entity F1 (per extractor, if the pipeline has one),
the FAQ response-selection F1 and the five weakest intents with what they are
confused with.

Usage (from the project root):

    .venv/bin/python benchmarks/nlu_cross_validation.py            # 5 folds
    .venv/bin/python benchmarks/nlu_cross_validation.py --check    # exit 1 if macro F1 < 0.95
    .venv/bin/python benchmarks/nlu_cross_validation.py --config config.yml --folds 3 \
        --out results/cv --json results/cv/summary.json
    .venv/bin/python benchmarks/nlu_cross_validation.py --intents-only   # minutes, not tens
    .venv/bin/python benchmarks/nlu_cross_validation.py --intents-only --seed 1   # same folds each run

``--intents-only`` cross-validates the intent classifier alone: it drops the FAQ selector
(``FaqSelector``, or Rasa's ``ResponseSelector`` in older configs), the CRF entity extractor
and, when DIET does not classify intents, DIET too; the intent figures are the same as with
the full pipeline, entity and FAQ figures are not printed.

It is slow (several minutes on 2 cores), so it is not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
AGGREGATES = {"accuracy", "macro avg", "weighted avg", "micro avg"}
#: Components that choose a retrieval intent's response (none of them decides the intent).
SELECTORS = ("ResponseSelector", "nlu_components.faq_selector.FaqSelector")


def _seeded_rasa(seed: int) -> List[str]:
    """``rasa`` with numpy's and random's global seeds set: Rasa's StratifiedKFold shuffles
    with the global numpy state, so the folds (and the figure) are reproducible per seed."""
    code = (
        "import random, sys, numpy; "
        f"random.seed({seed}); numpy.random.seed({seed}); "
        "from rasa.__main__ import main; sys.argv[0] = 'rasa'; main()"
    )
    return [sys.executable, "-c", code]


def _rasa_executable() -> List[str]:
    """Prefer the rasa next to the running interpreter (the project venv)."""
    candidate = Path(sys.executable).parent / "rasa"
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which("rasa")
    if found:
        return [found]
    return [sys.executable, "-m", "rasa"]


def _load(path: Path) -> Optional[Dict[str, Any]]:
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _avg(report: Dict[str, Any], key: str) -> Optional[float]:
    block = report.get(key)
    if isinstance(block, dict) and "f1-score" in block:
        return float(block["f1-score"])
    return None


def _labels(report: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {
        k: v for k, v in report.items() if k not in AGGREGATES and isinstance(v, dict) and "f1-score" in v
    }


def summarise(out_dir: Path, worst: int = 5) -> Dict[str, Any]:
    intent = _load(out_dir / "intent_report.json")
    if intent is None:
        raise SystemExit(f"no intent_report.json in {out_dir}; did rasa test fail?")

    labels = _labels(intent)
    summary: Dict[str, Any] = {
        "intent_macro_f1": _avg(intent, "macro avg"),
        "intent_weighted_f1": _avg(intent, "weighted avg"),
        "intent_accuracy": intent.get("accuracy"),
        "intents": len(labels),
        "examples": int(sum(v.get("support", 0) for v in labels.values())),
        "lowest_intents": [
            {
                "intent": name,
                "f1": round(float(v["f1-score"]), 4),
                "support": v.get("support"),
                "confused_with": v.get("confused_with", {}),
            }
            for name, v in sorted(labels.items(), key=lambda kv: kv[1]["f1-score"])[:worst]
        ],
        "entities": {},
    }

    for report_file in sorted(out_dir.glob("*_report.json")):
        name = report_file.name[: -len("_report.json")]
        if name in ("intent", "response_selection"):
            continue
        report = _load(report_file) or {}
        ents = _labels(report)
        # "no_entity" is not an entity; drop it from the per-entity list
        ents.pop("no_entity", None)
        summary["entities"][name] = {
            "macro_f1": _avg(report, "macro avg"),
            "weighted_f1": _avg(report, "weighted avg"),
            "micro_f1": _avg(report, "micro avg"),
            "per_entity": {k: round(float(v["f1-score"]), 4) for k, v in ents.items()},
        }

    rs = _load(out_dir / "response_selection_report.json")
    if rs is not None:
        summary["response_selection"] = {
            "macro_f1": _avg(rs, "macro avg"),
            "weighted_f1": _avg(rs, "weighted avg"),
        }
    return summary


def intent_pipeline(pipeline: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The components that decide the intent: no FAQ selector, no entity-only DIET or CRF."""

    def decides_intent(component: Dict[str, Any]) -> bool:
        if component["name"] in SELECTORS or component["name"].endswith("CRFEntityExtractor"):
            return False
        if component["name"] == "DIETClassifier":
            return bool(component.get("intent_classification", True))
        return True

    return [c for c in pipeline if decides_intent(c)]


def intents_only_config(config: Path, out_dir: Path) -> Path:
    """A copy of ``config`` without the components that do not decide the intent."""
    import yaml

    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg.pop("policies", None)
    cfg["pipeline"] = intent_pipeline(cfg["pipeline"])
    path = out_dir / "config_intents_only.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _fmt(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.4f}"


def print_summary(summary: Dict[str, Any], folds: int, seconds: float) -> None:
    print()
    print(
        f"NLU {folds}-fold cross-validation (seed {summary.get('seed')}, {summary['examples']} examples, "
        f"{summary['intents']} intents, {seconds:.0f}s)"
    )
    print(f"  intent macro F1    : {_fmt(summary['intent_macro_f1'])}")
    print(f"  intent weighted F1 : {_fmt(summary['intent_weighted_f1'])}")
    print(f"  intent accuracy    : {_fmt(summary['intent_accuracy'])}")
    for extractor, ent in summary["entities"].items():
        print(
            f"  entity F1 [{extractor}] : weighted {_fmt(ent['weighted_f1'])}"
            f"  macro {_fmt(ent['macro_f1'])}  micro {_fmt(ent['micro_f1'])}"
        )
        per = ", ".join(f"{k} {v:.2f}" for k, v in sorted(ent["per_entity"].items()))
        print(f"      {per}")
    if "response_selection" in summary and summary["response_selection"]["macro_f1"]:
        rs = summary["response_selection"]
        print(
            f"  faq response selection F1: macro {_fmt(rs['macro_f1'])} "
            f"weighted {_fmt(rs['weighted_f1'])}"
        )
    print("  lowest intents:")
    for row in summary["lowest_intents"]:
        conf = ", ".join(f"{k}:{v}" for k, v in row["confused_with"].items())
        print(
            f"    {row['intent']:<18} F1 {row['f1']:.4f}  (n={row['support']})"
            + (f"  confused with {conf}" if conf else "")
        )


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="config.yml", help="pipeline config (default config.yml)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--nlu", default="data/nlu", help="NLU data file or directory")
    p.add_argument("--out", default=None, help="keep rasa's reports here (default: temp dir)")
    p.add_argument("--json", default=None, help="also write the summary as JSON here")
    p.add_argument("--check", action="store_true", help="exit 1 if macro F1 < --threshold")
    p.add_argument("--intents-only", action="store_true", help="drop components that do not classify intents")
    p.add_argument("--seed", type=int, default=None, help="seed the fold split (reproducible folds)")
    p.add_argument("--threshold", type=float, default=0.95)
    p.add_argument("--successes", action="store_true", help="also keep rasa's *_successes.json files")
    p.add_argument(
        "--summarise-only", metavar="DIR", help="do not run rasa; summarise reports already in DIR"
    )
    args = p.parse_args(argv)

    os.chdir(ROOT)
    if args.summarise_only:
        out_dir, seconds = Path(args.summarise_only), 0.0
    else:
        out_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="nlu-cv-"))
        out_dir.mkdir(parents=True, exist_ok=True)
        if args.intents_only:
            args.config = str(intents_only_config(Path(args.config), out_dir))
        rasa = _seeded_rasa(args.seed) if args.seed is not None else _rasa_executable()
        cmd = (
            rasa
            + [
                "test",
                "nlu",
                "--cross-validation",
                "--folds",
                str(args.folds),
                "--config",
                args.config,
                "--nlu",
                args.nlu,
                "--out",
                str(out_dir),
                "--no-plot",
                "--no-warnings",
            ]
            + (["--successes"] if args.successes else [])
        )
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
        env.setdefault("LOG_LEVEL", "WARNING")
        print("running:", " ".join(cmd), flush=True)
        start = time.monotonic()
        proc = subprocess.run(cmd, env=env)
        seconds = time.monotonic() - start
        if proc.returncode != 0:
            print(f"rasa test nlu failed with exit code {proc.returncode}", file=sys.stderr)
            return proc.returncode

    summary = summarise(out_dir)
    summary.update(folds=args.folds, config=args.config, seconds=round(seconds, 1), seed=args.seed)
    print_summary(summary, args.folds, seconds)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if not args.out and not args.summarise_only:
        print(f"  reports: {out_dir}")

    macro = summary["intent_macro_f1"] or 0.0
    if args.check and macro < args.threshold:
        print(f"FAIL: intent macro F1 {macro:.4f} < {args.threshold}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
