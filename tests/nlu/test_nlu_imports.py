"""The NLU components and the encoder stand alone: no catalog index, no order DB, in any import.

Rasa loads ``nlu_components`` (config.yml) in its own process; pulling ``catalog_index`` in
would drag FAISS and the order DB into the NLU pipeline. Both only share ``text_encoder``,
which imports no project package at all. The one part of ``shop`` the NLU may use is the
language detector (``shop.language``, for the ``language`` entity), and only as long as it
and everything it imports stay within ``shop.language`` and ``shop.settings`` (stdlib only).
Checked on the source with the import graph of ``tests/test_architecture.py`` (lazy imports
included).
"""

from __future__ import annotations

from tests.test_architecture import _graph, _top, _violations

#: What ``nlu_components`` may reach in ``shop``, directly or through each other.
NLU_SHOP_MODULES = ("shop.language", "shop.settings")


def _in_shop_allowance(target: str) -> bool:
    return any(target == m or target.startswith(m + ".") for m in NLU_SHOP_MODULES)


def test_nlu_components_import_only_the_text_encoder_and_the_language_detector() -> None:
    violations = _violations(
        _graph(),
        lambda module, target: _top(module) == "nlu_components"
        and _top(target) not in ("nlu_components", "text_encoder")
        and not _in_shop_allowance(target),
    )
    assert violations == [], "\n".join(violations)


def test_the_language_detector_imports_nothing_else_of_the_project() -> None:
    violations = _violations(
        _graph(), lambda module, target: _in_shop_allowance(module) and not _in_shop_allowance(target)
    )
    assert violations == [], "\n".join(violations)
    assert "shop.language" in _graph()["nlu_components.language_entity"]  # the rule is not vacuous


def test_the_text_encoder_imports_no_project_package() -> None:
    violations = _violations(
        _graph(), lambda module, target: _top(module) == "text_encoder" and _top(target) != "text_encoder"
    )
    assert violations == [], "\n".join(violations)


def test_the_featurizer_really_uses_the_shared_encoder() -> None:
    # A graph that lost the edge would make the two rules above pass vacuously.
    assert "text_encoder" in _graph()["nlu_components.sentence_embeddings"]
