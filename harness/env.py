"""The environment a test install sees: config/defaults.env, fresh secrets, then the caller's."""

from __future__ import annotations

import functools
import os
from typing import Dict

from harness.paths import ROOT
from shop.secrets import SECRETS, generate

#: Set for every child: quiet TensorFlow, no model downloads, unbuffered logs.
QUIET = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYTHONUNBUFFERED": "1",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


def defaults() -> Dict[str, str]:
    """``config/defaults.env`` as a dict (what the Makefile exports when the environment is silent)."""
    env: Dict[str, str] = {}
    for line in (ROOT / "config" / "defaults.env").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    return env


@functools.cache
def stack_secrets() -> Dict[str, str]:
    """A fresh random value for every secret (shop.secrets.SECRETS), made once per process.

    Every server this process starts shares them, as one install would (``make run``
    generates them into ``var/secrets.env``); none is a value the repository holds.
    """
    return {name: generate() for name in SECRETS}


def default_env() -> Dict[str, str]:
    """config/defaults.env overlaid by the test secrets, then by the current environment."""
    env = defaults()
    env.update(stack_secrets())
    env.update(os.environ)
    env.update(QUIET)
    return env
