"""Rasa's CRF entity extractor, saving its trained taggers instead of retraining them at load.

Rasa 3.6's ``CRFEntityExtractor`` saves its training features (``crf_dataset.json``) and
*trains the CRF again* every time a model is loaded: 8.6 s of each Rasa process's start here
(every server, replica, restart and test stack), for taggers identical to the ones training
just produced. This subclass also writes each trained tagger in crfsuite's own model format
(``crf_<tag>.crfsuite``, the file ``sklearn_crfsuite`` trains into; data, not code) and loads
those; a model saved without them (older, or by Rasa's own class) loads the Rasa way.
Tagging is Rasa's, unchanged: ``tests/nlu/test_crf_entities.py`` compares the entities of
the loaded taggers with retrained ones.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor as RasaCRFEntityExtractor
from rasa.nlu.extractors.crf_entity_extractor import CRFToken
from rasa.shared.utils.io import read_json_file

logger = logging.getLogger(__name__)


def tagger_file(tag_name: str) -> str:
    """The file one tagger (``entity``, ``role``, ``group``) is saved in."""
    return f"crf_{tag_name}.crfsuite"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CRFEntityExtractor(RasaCRFEntityExtractor):
    """Rasa's CRF entity extractor whose trained taggers are saved and loaded, not retrained."""

    def persist(self, dataset: List[List[CRFToken]]) -> None:
        """Rasa's files, plus each trained tagger's crfsuite model."""
        super().persist(dataset)
        with self._model_storage.write_to(self._resource) as model_dir:
            for tag_name, tagger in (self.entity_taggers or {}).items():
                (Path(model_dir) / tagger_file(tag_name)).write_bytes(
                    Path(tagger.modelfile.name).read_bytes()
                )

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> RasaCRFEntityExtractor:
        """The saved taggers; Rasa's load (retraining) if a model has none saved."""
        import sklearn_crfsuite

        try:
            with model_storage.read_from(resource) as model_dir:
                crf_order: List[str] = read_json_file(Path(model_dir) / "crf_order.json")
                files = [Path(model_dir) / tagger_file(tag) for tag in crf_order]
                if not all(f.is_file() for f in files):
                    logger.info("CRF taggers not saved in this model: retraining them (Rasa's load)")
                    return super().load(config, model_storage, resource, execution_context, **kwargs)
                taggers = OrderedDict()
                for tag_name, path in zip(crf_order, files, strict=True):
                    crf = sklearn_crfsuite.CRF(model_filename=str(path))
                    if crf.tagger_ is None:  # crfsuite reads the whole model now, while the file exists
                        raise RuntimeError(f"{path.name}: crfsuite could not read the saved tagger")
                    taggers[tag_name] = crf
        except ValueError:  # no resource: never trained (as Rasa's load)
            logger.warning("Failed to load %s: resource '%s' doesn't exist.", cls.__name__, resource.name)
            return cls(config, model_storage, resource)
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor
