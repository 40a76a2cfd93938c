"""The NLU components and the encoder stand alone: no catalog index, no shop, in any import.

Rasa loads ``nlu_components`` (config.yml) in its own process; pulling ``catalog_index`` in
would drag FAISS and the order DB into the NLU pipeline. Both only share ``text_encoder``,
which imports no project package at all. Checked on the source with the import graph of
``tests/test_architecture.py`` (lazy imports included).
"""

from __future__ import annotations

from tests.test_architecture import _graph, _top, _violations


def test_nlu_components_import_only_the_text_encoder() -> None:
    violations = _violations(
        _graph(),
        lambda module, target: _top(module) == "nlu_components"
        and _top(target) not in ("nlu_components", "text_encoder"),
    )
    assert violations == [], "\n".join(violations)


def test_the_text_encoder_imports_no_project_package() -> None:
    violations = _violations(
        _graph(), lambda module, target: _top(module) == "text_encoder" and _top(target) != "text_encoder"
    )
    assert violations == [], "\n".join(violations)


def test_the_featurizer_really_uses_the_shared_encoder() -> None:
    # A graph that lost the edge would make the two rules above pass vacuously.
    assert "text_encoder" in _graph()["nlu_components.sentence_embeddings"]
