"""A random Rasa API token that starts with "-" must still reach ``rasa run`` as the token.

``secrets.token_urlsafe`` draws from ``A-Za-z0-9_-``, so about one token in 64 starts with a
dash; passed as ``--auth-token TOKEN`` argparse takes it for an option and Rasa exits with 2
(seen in CI: every stack started with such a token failed). The one-word ``--auth-token=``
form is what the harness, ``scripts/run.sh`` and the Rasa container use.
"""

from __future__ import annotations

import re

import pytest
from rasa.__main__ import create_argument_parser

from harness.paths import ROOT
from harness.stack import rasa_argv


@pytest.mark.parametrize("token", ["-Xe1JViquv8jiFlha46fuh", "--enable-api", "plain_token-1"])
def test_the_harness_hands_rasa_any_token_unchanged(token: str) -> None:
    args = create_argument_parser().parse_args(rasa_argv(5005, token)[1:])
    assert args.auth_token == token and args.enable_api


@pytest.mark.parametrize("script", ["scripts/run.sh", "docker/rasa-entrypoint.sh"])
def test_the_start_scripts_pass_the_token_as_one_word(script: str) -> None:
    text = (ROOT / script).read_text(encoding="utf-8")
    assert '--auth-token="$RASA_API_TOKEN"' in text
    assert not re.search(r"--auth-token\s+\S", text), "a token starting with '-' would be read as an option"
