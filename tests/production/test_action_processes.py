"""Several action-server processes (``ACTION_SERVER_SANIC_WORKERS``): safe to fork, one set of limits.

The crowd test (test_scaleout.py) runs two processes and checks both serve and count in
Redis; these check what makes that safe: the actions are imported after the fork, and the
server refuses to start with several processes whose lookup counters would be per process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from sanic import Sanic

from actions.server import ThreadedActionExecutor, create_app, shared_state_problem
from harness.env import default_env
from harness.paths import ROOT
from shop import settings as shop_settings


@pytest.fixture
def apps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several rasa_sdk apps in one test process (Sanic refuses a second name outside test mode)."""
    monkeypatch.setattr(Sanic, "test_mode", True)


def _settings(**env: str) -> shop_settings.ShopSettings:
    return shop_settings.load(env)


def test_several_processes_need_the_lookup_counters_in_redis() -> None:
    in_memory = _settings()
    assert shared_state_problem(1, in_memory) is None
    problem = shared_state_problem(2, in_memory)
    assert problem is not None and "SHOP_RATE_LIMIT_REDIS_URL" in problem
    assert shared_state_problem(2, _settings(SHOP_RATE_LIMIT_REDIS_URL="redis://127.0.0.1:6379/2")) is None
    unlimited = _settings(SHOP_LOOKUP_RATE_PER_CONVERSATION="0", SHOP_LOOKUP_RATE_PER_SOURCE="0")
    assert shared_state_problem(4, unlimited) is None


def test_the_server_refuses_to_start_several_processes_without_redis() -> None:
    env = {**default_env(), "ACTION_SERVER_SANIC_WORKERS": "2", "SHOP_RATE_LIMIT_REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 78, done.stderr[-2000:]
    assert "ACTION_SERVER_SANIC_WORKERS=2" in done.stderr and "SHOP_RATE_LIMIT_REDIS_URL" in done.stderr


def test_with_several_processes_the_actions_are_imported_in_each_not_before_the_fork(apps: None) -> None:
    app = create_app("actions", "a-token", workers=2, processes=2)
    executor = _executor_of(app)
    assert executor.actions == {}  # nothing imported (no warm-up thread, no pool) in the parent
    executor.register_deferred()  # what each forked process does before it serves
    assert "validate_order_status_form" in executor.actions


def test_one_process_imports_the_actions_at_once(apps: None) -> None:
    executor = _executor_of(create_app("actions", "a-token", workers=2, processes=1))
    assert "validate_order_status_form" in executor.actions


def _executor_of(app: object) -> ThreadedActionExecutor:
    """The executor behind the app's /webhook route (rasa_sdk keeps it in a closure)."""
    webhook = next(r for r in app.router.routes if r.path == "webhook")  # type: ignore[attr-defined]
    cells = [c.cell_contents for c in webhook.handler.__closure__ or ()]
    return next(c for c in cells if isinstance(c, ThreadedActionExecutor))
