"""Threads for the numeric libraries of one server process: one setting, ``RASA_TF_THREADS``.

Every server process of the assistant does its numeric work one small request at a time:
a Rasa worker parses one message on its event loop (the workers are the parallelism, one
per core), an action-server process encodes one catalog query while its worker threads
serve shoppers. A second thread in TensorFlow, BLAS or the sentence encoders only competes
with the other processes for the same cores (issue 13: the MiniLM pass took ~24% less CPU
on one thread; on the action server a second TF intra-op thread saved no wall time on a
query, 14.3 vs 14.2 ms, but cost ~5 ms CPU, and OpenBLAS's second thread only spun).

So one setting gives the thread count of each library in each process, 0 leaving each
library its own default (or an operator's own variables). It reaches a process in one of
two ways:

* :func:`rasa_thread_env`: Rasa's own variables for a ``rasa run`` about to start (Rasa
  configures TensorFlow from them before it loads a model); ``ops.workers`` prints them for
  ``scripts/run.sh`` and the Rasa container, the test harness passes them to its servers;
* :func:`text_encoder.limit_numeric_threads` given :func:`numeric_threads`: in a process
  already running (the action server, from ``actions.catalog`` before TensorFlow runs its
  first op): TensorFlow's own variables and BLAS through ``threadpoolctl``.

(The USE and e5 encoders of ``nlu_components.multilingual_sentence`` run on one thread
each, fixed there.)

Here in ``shop`` because it reads a setting (``shop.settings`` is the one place for them);
``text_encoder`` imports no project package and takes the count as an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Dict, Optional

from shop import settings as shop_settings

__all__ = [
    "RASA_TF_VARS",
    "SETTING",
    "numeric_threads",
    "rasa_thread_env",
]

#: The setting (shop/settings.py) every helper here reads.
SETTING = "RASA_TF_THREADS"
#: Rasa's variables (``rasa.constants``), read when ``rasa run`` starts, before any model.
RASA_TF_VARS = ("TF_INTRA_OP_PARALLELISM_THREADS", "TF_INTER_OP_PARALLELISM_THREADS")


def numeric_threads(env: Optional[Mapping[str, str]] = None) -> int:
    """Threads per library in each server process (0: the libraries' own defaults)."""
    threads = int(shop_settings.value(SETTING, env))
    if threads < 0:
        raise ValueError(f"{SETTING} must be 0 or more, not {threads}")
    return threads


def rasa_thread_env(env: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Rasa's TensorFlow thread variables for a ``rasa run`` (empty for 0: TF's own pool).

    Not for ``rasa train``, which has the machine to itself.
    """
    threads = numeric_threads(env)
    return {name: str(threads) for name in RASA_TF_VARS} if threads else {}
