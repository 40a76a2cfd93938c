"""ops.quiet_warnings ignores Sanic's per-connection asyncio.wait warning, and only that."""

from __future__ import annotations

import subprocess
import sys
import warnings

from harness.paths import ROOT
from ops import quiet_warnings

SANIC_MESSAGE = (
    "The explicit passing of coroutine objects to asyncio.wait() is deprecated since Python 3.8, "
    "and scheduled for removal in Python 3.11."
)
SANIC = "sanic.server.websockets.impl"


def _shown(message: str, module: str) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # what is not filtered is recorded
        quiet_warnings.install()
        warnings.warn_explicit(message, DeprecationWarning, "impl.py", 521, module=module)
    return [str(w.message) for w in caught]


def test_a_rasa_server_process_drops_the_warning_and_keeps_others() -> None:
    # pytest restores the warning filters around collection, so this runs as a Rasa server
    # does: a fresh process that imports ops.resilience (credentials.yml's channel module).
    script = (
        "import warnings, ops.resilience\n"
        f"warnings.warn_explicit({SANIC_MESSAGE!r}, DeprecationWarning, 'impl.py', 521, module={SANIC!r})\n"
        f"warnings.warn_explicit('kept', DeprecationWarning, 'impl.py', 522, module={SANIC!r})\n"
    )
    argv = [sys.executable, "-W", "default::DeprecationWarning", "-c", script]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "asyncio.wait" not in done.stderr
    assert "DeprecationWarning: kept" in done.stderr


def test_sanics_websocket_warning_is_ignored() -> None:
    assert _shown(SANIC_MESSAGE, SANIC) == []


def test_the_same_warning_elsewhere_still_shows() -> None:
    assert _shown(SANIC_MESSAGE, "shop.orders") == [SANIC_MESSAGE]


def test_other_warnings_from_sanic_still_show() -> None:
    assert _shown("something else is deprecated", SANIC) == ["something else is deprecated"]
