#!/usr/bin/env python
"""One NLU model for English and Chinese: intent macro F1 and parse latency per language.

Issue 14 asks for one assistant for both languages, one model or one per language behind a
router, decided by measurement. This prints what decides it:

1. **Cross-validation per language** (``--folds``, default 5, ``--seed`` fixed): the English
   files (``data/nlu/*.yml``) and the Chinese ones (``data/nlu/zh/*.yml``) are split together,
   stratified by language and intent, so every fold's classifier is trained on both
   languages; each held-out message is scored with its own language's set. What decides
   the intent runs as configured in ``--config`` (every dense sentence featurizer,
   ``LinearIntentClassifier`` with its settings, the FallbackClassifier thresholds: a
   fallback counts as a miss, as in ``rasa test nlu``), without a ``rasa train`` per fold.
2. **Parse latency per language**: the NLU part of ``--config`` (every component, no policies)
   trained on all the data, ``Agent.parse_message`` (what ``POST /model/parse`` runs) on
   ``--messages`` training texts of each language; p50/p95 in ms.
3. **The English reference** (``--baseline-rev REV``): ``config.yml`` as it was at ``REV``
   (before the bilingual pipeline), trained on the English files only and timed on the same
   English messages; the ratios of both languages' p50 to it are the issue's "<= 1.3x" check.
   ``--baseline-cv`` also cross-validates that reference on English only (same seed).

Usage: ``.venv/bin/python benchmarks/bench_nlu_languages.py [--folds 5] [--seed 1]
[--baseline-rev 5142d46] [--baseline-cv] [--skip-latency] [--cache DIR] [--json results/nlu_languages.json]``.
The JSON also holds each language's per-intent F1 and its most frequent confusions
(gold -> predicted). ``--skip-latency`` skips parts 2-3 (CV only, for iterating on data). CPU heavy
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

LANGUAGES = {"en": ROOT / "data" / "nlu", "zh": ROOT / "data" / "nlu" / "zh"}


def load_language(folder: Path) -> Any:
    """The training data of the ``*.yml`` files directly in ``folder`` (not its subfolders)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData().merge(*(load_data(str(f)) for f in sorted(folder.glob("*.yml"))))


def without_examples(data: Any, examples: List[Any]) -> Any:
    """``data``'s regexes, lookups and synonyms with ``examples`` as its messages."""
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData(
        training_examples=examples,
        entity_synonyms=data.entity_synonyms,
        regex_features=data.regex_features,
        lookup_tables=data.lookup_tables,
    )


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


def macro_f1(gold: List[str], predicted: List[str]) -> float:
    """Macro F1 over the gold intents (a wrong prediction also lowers precision elsewhere)."""
    from sklearn.metrics import f1_score

    return float(f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0))


def _component(pipeline: List[Dict[str, Any]], suffix: str) -> Optional[Dict[str, Any]]:
    return next((dict(c) for c in pipeline if str(c["name"]).endswith(suffix)), None)


def intent_decider(config: Path) -> Tuple[List[Dict[str, Any]], Dict[str, Any], Optional[Dict[str, Any]]]:
    """The dense featurizers, LinearIntentClassifier and FallbackClassifier settings of ``config``.

    These decide the intent: the classifier reads the text and the sentence vectors only (no
    sparse features, no tokens), and the fallback turns a weak top intent into ``nlu_fallback``.
    A dense featurizer is every project component (dotted ``name``) that is a Rasa
    ``DenseFeaturizer``, in pipeline order (MiniLM, the multilingual vector, ...).
    """
    import yaml
    from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
    from rasa.shared.utils.common import class_from_module_path

    pipeline = yaml.safe_load(config.read_text(encoding="utf-8"))["pipeline"]
    classifier = _component(pipeline, "LinearIntentClassifier")
    if classifier is None:
        raise SystemExit(f"{config}: no LinearIntentClassifier to cross-validate")
    dense = [
        dict(c)
        for c in pipeline
        if "." in str(c["name"]) and issubclass(class_from_module_path(str(c["name"])), DenseFeaturizer)
    ]
    return dense, classifier, _component(pipeline, "FallbackClassifier")


def featurize(dense: List[Dict[str, Any]], messages: List[Any], cache: Optional[Path]) -> None:
    """Adds each dense featurizer's sentence vector to ``messages``, as the pipeline would.

    Every featurizer is built as ``cls(config, name)`` (its defaults merged with ``config``'s
    entry). With ``cache``, vectors are kept per featurizer and settings in ``cache/*.npz``
    (they depend on the text alone), so a rerun after a data edit encodes only new texts.
    """
    import hashlib

    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.utils.common import class_from_module_path

    texts = [str(m.get("text")) for m in messages]
    for index, entry in enumerate(dense):
        settings = {k: v for k, v in entry.items() if k != "name"}
        cls = class_from_module_path(str(entry["name"]))
        config = {**cls.get_default_config(), **settings}
        key = hashlib.sha1(json.dumps([entry["name"], config], sort_keys=True).encode()).hexdigest()[:12]
        path = cache / f"{cls.__name__}-{key}.npz" if cache else None
        known: Dict[str, Any] = {}
        if path and path.is_file():
            stored = np.load(path, allow_pickle=False)
            known = dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))
        missing = sorted(set(texts) - set(known))
        if missing:
            featurizer = cls(config, f"dense{index}")
            probes = [Message(data={"text": t}) for t in missing]
            featurizer.process(probes)
            known.update(
                (t, p.get_dense_features("text")[1].features[0]) for t, p in zip(missing, probes, strict=True)
            )
            if path:
                path.parent.mkdir(parents=True, exist_ok=True)
                ordered = sorted(known)
                np.savez(path, texts=np.array(ordered), vectors=np.stack([known[t] for t in ordered]))
        for message, text in zip(messages, texts, strict=True):
            message.add_features(
                Features(np.expand_dims(known[text], 0), "sentence", "text", f"dense{index}")
            )


def fallback(ranking: List[Dict[str, Any]], settings: Optional[Dict[str, Any]]) -> str:
    """The intent after FallbackClassifier's rule (Rasa's defaults: 0.3 and 0.1)."""
    if settings is None:
        return str(ranking[0]["name"])
    top = ranking[0]["confidence"]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    if top < float(settings.get("threshold", 0.3)) or top - second < float(
        settings.get("ambiguity_threshold", 0.1)
    ):
        return "nlu_fallback"
    return str(ranking[0]["name"])


def cross_validate(
    config: Path, sets: Dict[str, Any], folds: int, seed: int, work: Path, cache: Optional[Path] = None
) -> Dict[str, Dict[str, Any]]:
    """Per-language intent macro F1 of classifiers trained on all languages' folds together.

    The components that decide the intent run as in the pipeline, without ``rasa train`` per
    fold: every message is featurized once by each dense featurizer of the pipeline (the
    vectors depend on the text alone; ``cache`` keeps them across runs), then each fold trains
    ``LinearIntentClassifier`` with ``config``'s settings and applies the FallbackClassifier
    rule, as ``rasa test nlu`` would score it.
    """
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    from nlu_components.intent_classifier import LinearIntentClassifier

    dense, classifier, fallback_settings = intent_decider(config)
    examples = [
        (lang, Message(data={"text": e.get("text"), "intent": e.get("intent")}))
        for lang, data in sets.items()
        for e in data.intent_examples
        if e.get("text")
    ]
    start = time.monotonic()
    featurize(dense, [m for _, m in examples], cache)
    names = ", ".join(str(d["name"]).rsplit(".", 1)[-1] for d in dense) or "no dense featurizer"
    print(f"  featurized {len(examples)} messages ({names}) in {time.monotonic() - start:.0f}s", flush=True)
    classifier.pop("name")
    strata = [f"{lang}:{m.get('intent')}" for lang, m in examples]
    gold: Dict[str, List[str]] = {lang: [] for lang in sets}
    predicted: Dict[str, List[str]] = {lang: [] for lang in sets}
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    context = ExecutionContext(GraphSchema({}), node_name="intents")
    for fold, (train_idx, test_idx) in enumerate(split.split(examples, strata)):
        start = time.monotonic()
        (work / f"fold{fold}").mkdir(parents=True, exist_ok=True)
        storage = LocalModelStorage(work / f"fold{fold}")
        model = LinearIntentClassifier.create(
            {**LinearIntentClassifier.get_default_config(), **classifier},
            storage,
            Resource("intents"),
            context,
        )
        model.train(TrainingData([examples[i][1] for i in train_idx]))
        test = [(examples[i][0], examples[i][1]) for i in test_idx]
        probes = [Message(data={"text": m.get("text")}, features=m.features) for _, m in test]
        model.process(probes)
        for (lang, m), probe in zip(test, probes, strict=True):
            gold[lang].append(str(m.get("intent")))
            predicted[lang].append(fallback(probe.get("intent_ranking"), fallback_settings))
        print(f"  fold {fold + 1}/{folds}: {time.monotonic() - start:.0f}s, {len(test)} held out", flush=True)
    return {
        lang: {
            "macro_f1": round(macro_f1(gold[lang], predicted[lang]), 4),
            "accuracy": round(
                sum(g == p for g, p in zip(gold[lang], predicted[lang], strict=True)) / len(gold[lang]), 4
            ),
            "fallback_rate": round(predicted[lang].count("nlu_fallback") / len(gold[lang]), 4),
            "examples": len(gold[lang]),
            "worst": worst_intents(gold[lang], predicted[lang]),
            "per_intent": per_intent(gold[lang], predicted[lang]),
            "confusions": confusions(gold[lang], predicted[lang]),
        }
        for lang in sets
    }


def worst_intents(gold: List[str], predicted: List[str], n: int = 4) -> List[str]:
    """The ``n`` intents with the lowest F1, as ``name F1`` strings."""
    ranked = sorted(per_intent(gold, predicted).items(), key=lambda kv: kv[1]["f1"])[:n]
    return [f"{name} {scores['f1']:.3f}" for name, scores in ranked]


def per_intent(gold: List[str], predicted: List[str]) -> Dict[str, Dict[str, float]]:
    """F1 and support of every gold intent."""
    from sklearn.metrics import f1_score

    labels = sorted(set(gold))
    scores = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    return {
        name: {"f1": round(float(score), 4), "n": gold.count(name)}
        for name, score in zip(labels, scores, strict=True)
    }


def confusions(gold: List[str], predicted: List[str], n: int = 25) -> List[str]:
    """The ``n`` most frequent ``gold -> predicted x count`` mistakes."""
    from collections import Counter

    pairs = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return [f"{g} -> {p} x{c}" for (g, p), c in pairs.most_common(n)]


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
