#!/usr/bin/env python
"""One NLU model for English and Chinese: intent macro F1 and parse latency per language.

Issue 14 asks for one assistant for both languages, one model or one per language behind a
router, decided by measurement. This prints what decides it:

1. **Cross-validation per language** (``--folds``, default 5, ``--seed`` fixed;
   :mod:`nlu_language_cv`): both languages' files split together, stratified by language and
   intent, every fold's classifier trained on both, each held-out message scored with its
   own language's set; what decides the intent runs as configured in ``--config`` and a
   fallback counts as a miss.
2. **Parse latency per language**: the NLU part of ``--config`` (every component, no policies)
   trained on all the data, ``Agent.parse_message`` (what ``POST /model/parse`` runs) on
   ``--messages`` training texts of each language; p50/p95 in ms.
3. **The English reference** (``--baseline-rev REV``): ``config.yml`` as it was at ``REV``
   (before the bilingual pipeline), trained on the English files only and timed on the same
   English messages; the ratios of both languages' p50 to it are the issue's "<= 1.3x" check.
   ``--baseline-cv`` also cross-validates that reference on English only (same seed).

Usage: ``.venv/bin/python benchmarks/bench_nlu_languages.py [--folds 5] [--seed 1]
[--baseline-rev 5142d46] [--baseline-cv] [--skip-latency] [--cache DIR] [--json results/nlu_languages.json]``.
The JSON also holds each language's per-intent F1, its most frequent confusions
(gold -> predicted) and every held-out mistake (text, gold label, decision, top two).
``--skip-latency`` skips parts 2-3 (CV only, for iterating on data). CPU heavy
(about 10-20 minutes on 2 cores): run it with ``nice``; not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

sys.path.insert(0, str(ROOT / "benchmarks"))

from nlu_language_cv import LANGUAGES, cross_validate, load_language  # noqa: E402


def pipeline_config(config: Path, work: Path, name: str) -> Path:
    """``config`` without policies: the NLU model ``rasa train`` would build."""
    import yaml

    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg.pop("policies", None)
    path = work / f"{name}.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def train(config: Path, data: Any, work: Path, name: str) -> Tuple[Path, float]:
    """An NLU model of ``data`` under ``config``; its path and the training seconds."""
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    nlu = work / f"{name}_nlu.yml"
    RasaYAMLWriter().dump(nlu, data)
    start = time.monotonic()
    model = train_nlu(
        str(config), str(nlu), str(work / "models"), fixed_model_name=name, domain=str(ROOT / "domain.yml")
    )
    seconds = time.monotonic() - start
    if not model:
        raise SystemExit(f"training {name} failed")
    return Path(model), seconds


def parse_all(model: Path, texts: List[str]) -> Tuple[List[str], List[float]]:
    """Predicted intents and parse milliseconds of ``texts`` (one warm-up parse first)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> Tuple[List[str], List[float]]:
        await agent.parse_message("warm up 你好")
        intents, times = [], []
        for text in texts:
            start = time.perf_counter()
            result = await agent.parse_message(text)
            times.append((time.perf_counter() - start) * 1000)
            intents.append(str((result.get("intent") or {}).get("name")))
        return intents, times

    return asyncio.run(run())


def sample(data: Any, n: int) -> List[str]:
    """``n`` distinct training texts, the same ones every run."""
    texts = sorted({str(m.get("text")) for m in data.intent_examples if m.get("text")})
    random.Random(7).shuffle(texts)
    return texts[:n]


def latency(times: List[float]) -> Dict[str, float]:
    """p50 and p95 of ``times`` in ms."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def baseline_config(rev: str, work: Path) -> Path:
    """``config.yml`` as committed at ``rev``."""
    text = subprocess.run(
        ["git", "show", f"{rev}:config.yml"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    path = work / "baseline_config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: Optional[List[str]] = None) -> int:
    """Run the measurements and print them (and write ``--json``)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default=str(ROOT / "config.yml"))
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--messages", type=int, default=200, help="parsed per language for the latency")
    p.add_argument("--baseline-rev", default=None, help="git revision of the English-only config.yml")
    p.add_argument("--baseline-cv", action="store_true", help="also cross-validate the baseline (English)")
    p.add_argument("--skip-cv", action="store_true")
    p.add_argument("--skip-latency", action="store_true", help="cross-validation only")
    p.add_argument("--json", default=None)
    p.add_argument("--cache", default=None, help="folder keeping sentence vectors across runs")
    args = p.parse_args(argv)
    os.chdir(ROOT)
    random.seed(args.seed)
    import numpy

    numpy.random.seed(args.seed)

    sets = {lang: load_language(folder) for lang, folder in LANGUAGES.items()}
    work = Path(tempfile.mkdtemp(prefix="nlu-languages-"))
    report: Dict[str, Any] = {"config": args.config, "folds": args.folds, "seed": args.seed}
    config = Path(args.config)
    cache = Path(args.cache) if args.cache else None

    if not args.skip_cv:
        print(
            f"cross-validation ({args.folds} folds, seed {args.seed}), both languages in one model",
            flush=True,
        )
        report["cv"] = cross_validate(config, sets, args.folds, args.seed, work, cache)

    if args.skip_latency:
        print_report(report)
        write_json(report, args.json)
        return 0

    print("latency: the whole NLU pipeline trained on both languages", flush=True)
    full, seconds = train(pipeline_config(config, work, "full"), sets["en"].merge(sets["zh"]), work, "full")
    report["nlu_train_seconds"] = round(seconds, 1)
    report["latency"] = {}
    for lang, data in sets.items():
        report["latency"][lang] = latency(parse_all(full, sample(data, args.messages))[1])

    if args.baseline_rev:
        base_cfg = baseline_config(args.baseline_rev, work)
        print(f"baseline: config.yml at {args.baseline_rev}, English only", flush=True)
        base, seconds = train(pipeline_config(base_cfg, work, "base"), sets["en"], work, "base")
        report["baseline"] = {"rev": args.baseline_rev, "nlu_train_seconds": round(seconds, 1)}
        report["baseline"].update(latency(parse_all(base, sample(sets["en"], args.messages))[1]))
        if args.baseline_cv:
            cv = cross_validate(base_cfg, {"en": sets["en"]}, args.folds, args.seed, work, cache)
            report["baseline"]["cv"] = cv["en"]

    print_report(report)
    write_json(report, args.json)
    return 0


def write_json(report: Dict[str, Any], path: Optional[str]) -> None:
    """``report`` as JSON at ``path`` (nothing without one)."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def cv_text(cv: Dict[str, Any]) -> str:
    """One language's cross-validation figures on one line."""
    return (
        f"CV intent macro F1 {cv['macro_f1']:.4f} (acc {cv['accuracy']:.4f}, "
        f"fallback {cv['fallback_rate']:.3f}, n={cv['examples']})"
    )


def print_report(report: Dict[str, Any]) -> None:
    """The figures, one language a line (CV alone when the latency was skipped)."""
    print()
    base = report.get("baseline")
    for lang in report.get("latency") or report.get("cv", {}):
        cv, lat = report.get("cv", {}).get(lang), report.get("latency", {}).get(lang)
        parts = [cv_text(cv)] if cv else []
        if lat:
            ratio = f", p50 {lat['p50_ms'] / base['p50_ms']:.2f}x the English baseline" if base else ""
            parts.append(f"parse p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms{ratio}")
        print(f"{lang}: {'; '.join(parts)}")
        if cv:
            print(f"    weakest: {', '.join(cv['worst'])}")
    if "nlu_train_seconds" in report:
        print(f"NLU training (both languages, no policies): {report['nlu_train_seconds']:.0f} s")
    if base:
        print(
            f"baseline {base['rev']} (English only): parse p50 {base['p50_ms']:.1f} ms, "
            f"p95 {base['p95_ms']:.1f} ms, trained in {base['nlu_train_seconds']:.0f} s"
        )
        if "cv" in base:
            print(f"    {cv_text(base['cv'])}, same seed; weakest: {', '.join(base['cv']['worst'])}")


if __name__ == "__main__":
    sys.exit(main())
