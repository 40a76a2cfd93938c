"""The ``language`` entity: which language this message is written in, when the text tells.

The domain's categorical slot ``language`` (en, zh) is filled from this entity, so the
conversation's language changes only when a message decides it by itself: Han characters
(rule :data:`shop.language.HAN`) or a confident detector on enough letters
(:data:`shop.language.DETECTED`). Short or ambiguous messages ("ok", an e-mail, ``104523``)
add no entity and the slot keeps the conversation's language; the component never guesses
(it has no ``previous`` language to give :func:`shop.language.detect`, and the slot is that).

The entity spans the whole text. Nothing is trained: Rasa's recipe gives a non-trainable
entity extractor no training node at all, so the annotations never reach the training data
and the CRF (or DIET) cannot learn a ``language`` label; the domain declares the entity with
``influence_conversation: false`` so the policies do not see it either. Languages come from
``SHOP_LANGUAGES`` (:func:`shop.language.config_from`), read once when the model loads.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from shop.language import DETECTED, HAN, LanguageConfig, config_from, detect, warm_up

logger = logging.getLogger(__name__)

#: The entity (and slot) name in domain.yml.
ENTITY = "language"
#: The rules under which the text itself decided; PREVIOUS / DEFAULT mean it could not.
DECIDING_RULES = frozenset({HAN, DETECTED})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds ``{"entity": "language", "value": "en"|"zh"}`` when the message decides it."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """``languages``: overrides SHOP_LANGUAGES (comma-separated) when set, e.g. in tests."""
        return {"languages": None}

    @staticmethod
    def required_packages() -> List[str]:
        """lingua decides Latin-script messages."""
        return ["lingua"]

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageEntityExtractor:
        """The extractor with the shop's languages (models loaded now, not on a shopper's message)."""
        return cls({**cls.get_default_config(), **config})

    def __init__(self, config: Dict[str, Any], language_config: Optional[LanguageConfig] = None) -> None:
        self.config = config
        if language_config is None:
            shop = config_from()
            languages = config.get("languages")
            language_config = (
                LanguageConfig(languages, shop.min_letters, shop.min_confidence) if languages else shop
            )
        self.language_config = language_config
        warm_up(self.language_config)

    def language_of(self, text: str) -> Optional[str]:
        """The language ``text`` is written in, or None when the text alone cannot tell."""
        detection = detect(text, None, self.language_config)
        return detection.language if detection.reason in DECIDING_RULES else None

    def process(self, messages: List[Message]) -> List[Message]:
        """Appends the ``language`` entity to the messages whose text decides their language."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            language = self.language_of(text)
            if language is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: ENTITY,
                ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                EXTRACTOR: self.name,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages
