"""Rasa's TensorFlow models (TED) load without tracing a training graph: the same weights, sooner.

To load a saved model, Rasa 3.6 (``RasaModel.load``) builds an empty one, *trains it for one
step on one example* so that Keras creates every variable with its size, overwrites them all
with the saved weights, and runs one prediction to trace the prediction graph. The training
step runs as a ``tf.function``, and tracing its gradient graph (autograph over the whole TED
loss) is most of the load: TED took 32.8 s and the ResponseSelector 17.9 s of a 94 s
``Agent.load`` of this assistant on 2 busy cores (9.5 s and 5.1 s with this; 53.5 s in all),
paid by every Rasa process at every start (a replica, a restart, each test stack).

:func:`install` builds them with the training step's forward pass (the loss on that one
example) run eagerly instead: every layer creates its weights with the same shapes, the
saved weights then replace them exactly as before, and the warm-up prediction traces the
same prediction graph as Rasa's own. The optimizer is not stepped, so its saved state (only
needed to train further) is not restored: in eager mode its slots would be created in
another order than the checkpoint's, which Keras refuses. Predictions are the same
(``tests/ops/test_model_load.py`` loads TED both ways and compares its predictions on the
test stories' trackers). Fine-tuning (``rasa train --finetune``) keeps
Rasa's path: it trains next, in graph mode. Installed by ops/resilience.py with the other
runtime plugins, before Rasa loads the model.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Type

from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

_MARK = "_shop_eager_build"

Load = Callable[..., RasaModel]


def _eager_build(original: Load) -> Load:
    """``RasaModel.load`` that builds the weights with one eager loss, not a traced train step."""

    @functools.wraps(original)
    def load(
        cls: Type[RasaModel],
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: Optional[RasaModelData] = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode:  # it trains next: Rasa's own path, optimizer state and all
            return original(
                cls, model_file_name, model_data_example, predict_data_example, True, *args, **kwargs
            )  # noqa: E501
        model = cls(*args, **kwargs)
        batch, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
        model._training = True  # the training step's forward pass creates every layer's weights
        model.batch_loss(batch)
        model._training = None
        # The optimizer's saved slots are only needed to train further: not restored.
        model.load_weights(model_file_name).expect_partial()
        if predict_data_example:
            model.run_inference(predict_data_example)  # trace the prediction graph now, as Rasa does
        return model

    setattr(load, _MARK, True)
    return load


def install() -> None:
    """Patch ``RasaModel.load`` (idempotent); before the model is loaded."""
    current = RasaModel.__dict__["load"].__func__
    if not getattr(current, _MARK, False):
        RasaModel.load = classmethod(_eager_build(current))  # type: ignore[method-assign,assignment]


def installed() -> bool:
    """Whether :func:`install` has run in this process."""
    return bool(getattr(RasaModel.__dict__["load"].__func__, _MARK, False))
