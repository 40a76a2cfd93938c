"""shop.threads: the thread helpers; one setting gives every server process's numeric thread counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from shop.threads import RASA_TF_VARS, SETTING, numeric_threads, rasa_thread_env
from text_encoder import TF_NATIVE_VARS

ROOT = Path(__file__).resolve().parents[2]
#: Prints what a process's numeric libraries were told after the given import.
PROBE = f"""
import json, os, sys
__import__(sys.argv[1])
from threadpoolctl import threadpool_info
blas = sorted({{i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}})
print(json.dumps({{"tf": {{n: os.environ.get(n) for n in {TF_NATIVE_VARS!r}}}, "blas": blas}}))
"""


def after_import(module: str, **env: str) -> Dict[str, object]:
    """What ``module``'s import left in a fresh process: TF's variables and BLAS's threads."""
    clean = {k: v for k, v in os.environ.items() if k not in (*TF_NATIVE_VARS, SETTING)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        env={**clean, "CATALOG_WARM_UP": "false", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_one_thread_by_default_and_the_setting_when_given() -> None:
    assert numeric_threads({}) == 1
    assert numeric_threads({SETTING: "3"}) == 3


def test_zero_leaves_each_library_its_own_default() -> None:
    assert numeric_threads({SETTING: "0"}) == 0
    assert rasa_thread_env({SETTING: "0"}) == {}


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match=SETTING):
        numeric_threads({SETTING: "-1"})


def test_rasa_gets_its_own_variables_from_the_same_setting() -> None:
    from rasa.constants import ENV_CPU_INTER_OP_CONFIG, ENV_CPU_INTRA_OP_CONFIG

    assert set(RASA_TF_VARS) == {ENV_CPU_INTRA_OP_CONFIG, ENV_CPU_INTER_OP_CONFIG}
    assert rasa_thread_env({}) == dict.fromkeys(RASA_TF_VARS, "1")
    assert rasa_thread_env({SETTING: "2"}) == dict.fromkeys(RASA_TF_VARS, "2")


def test_the_action_server_follows_the_setting() -> None:
    """Importing the actions (as each action-server process does) applies the setting."""
    assert after_import("actions.catalog") == {"tf": dict.fromkeys(TF_NATIVE_VARS, "1"), "blas": [1]}
    two = after_import("actions.catalog", **{SETTING: "2"})
    assert two == {"tf": dict.fromkeys(TF_NATIVE_VARS, "2"), "blas": [2]}


def test_zero_or_an_operators_own_tensorflow_variables_are_left_alone() -> None:
    untouched = after_import("actions.catalog", **{SETTING: "0"})
    assert untouched["tf"] == dict.fromkeys(TF_NATIVE_VARS, None)
    own = after_import("actions.catalog", TF_NUM_INTRAOP_THREADS="3")
    assert own["tf"] == {"TF_NUM_INTRAOP_THREADS": "3", "TF_NUM_INTEROP_THREADS": "1"}
