"""Cross-validated intent quality per language for the one English + Chinese NLU model.

Split out of ``bench_nlu_languages.py`` (which adds the parse latency): the English files
(``data/nlu/*.yml``) and the Chinese ones (``data/nlu/zh/*.yml``) are split together into
folds stratified by language and intent, so every fold's classifier is trained on both
languages, and each held-out message is scored with its own language's set. What decides the
intent runs as configured (every dense sentence featurizer, ``LinearIntentClassifier`` with
its settings, the FallbackClassifier rule: a fallback counts as a miss, as in
``rasa test nlu``), without a ``rasa train`` per fold. Each language's result also lists its
held-out mistakes (text, gold, predicted, confidence), the material for auditing labels.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {"en": ROOT / "data" / "nlu", "zh": ROOT / "data" / "nlu" / "zh"}

__all__ = ["LANGUAGES", "cross_validate", "load_language", "macro_f1"]


def load_language(folder: Path) -> Any:
    """The training data of the ``*.yml`` files directly in ``folder`` (not its subfolders)."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData().merge(*(load_data(str(f)) for f in sorted(folder.glob("*.yml"))))


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
    labels = [
        str(e.get("intent_response_key") or e.get("intent"))
        for data in sets.values()
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
    mistakes: Dict[str, List[Dict[str, Any]]] = {lang: [] for lang in sets}
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
        for index, (lang, m), probe in zip(test_idx, test, probes, strict=True):
            ranking = probe.get("intent_ranking")
            gold[lang].append(str(m.get("intent")))
            predicted[lang].append(fallback(ranking, fallback_settings))
            if predicted[lang][-1] != gold[lang][-1]:
                mistakes[lang].append(
                    mistake(str(m.get("text")), labels[index], ranking, predicted[lang][-1])
                )
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
            "mistakes": sorted(mistakes[lang], key=lambda x: (x["gold"], x["predicted"], x["text"])),
        }
        for lang in sets
    }


def mistake(text: str, label: str, ranking: List[Dict[str, Any]], predicted: str) -> Dict[str, Any]:
    """One held-out miss: its text, gold label (``faq/<key>`` for FAQs), the decision and the top two."""
    top = [f"{r['name']} {r['confidence']:.2f}" for r in ranking[:2]]
    return {"text": text, "gold": label, "predicted": predicted, "top": top}


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
