"""The action server obeys only Rasa: direct calls without Rasa's token get nothing.

Against the running ``stack``: a forged tracker (a stranger's ``customer_id`` and
``verified_order`` slots filled in) POSTed straight to ``/webhook`` is refused with 401 / 403
unless it carries ``SHOP_ACTION_TOKEN``; the server listens on loopback only; and a call
stuck on the database does not hold up ``/health`` or another conversation's call.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import requests
import yaml
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from harness.env import default_env
from harness.paths import ROOT
from harness.ports import free_port
from harness.processes import serving
from harness.stack import Stack, actions_argv
from shop.db.models import Customer
from shop.seed.demo import DEMO_ORDERS

NUMBER, EMAIL = DEMO_ORDERS["shipped"]
# Every order number of that customer: none may appear in a refused call's answer.
THEIR_ORDERS = [n for n, e in DEMO_ORDERS.values() if e == EMAIL]


def _customer_id(shop_db: sessionmaker, email: str) -> int:
    with shop_db() as s:
        return int(s.scalar(select(Customer.id).where(Customer.email == email)))


def _tracker(
    sender: str, slots: Dict[str, Any], events: Optional[List[Dict[str, Any]]] = None
) -> Dict[str, Any]:
    latest = {"text": "show my orders", "intent": {"name": "list_orders", "confidence": 1.0}, "entities": []}
    return {
        "sender_id": sender,
        "slots": slots,
        "latest_message": latest,
        "events": events or [{"event": "user", "text": latest["text"], "parse_data": latest}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }


def _call(action: str, tracker: Dict[str, Any]) -> Dict[str, Any]:
    return {"next_action": action, "sender_id": tracker["sender_id"], "tracker": tracker, "domain": {}}


@functools.cache
def _domain() -> Dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "domain.yml").read_text()))


def _forged_list_orders(shop_db: sessionmaker) -> Dict[str, Any]:
    """What an attacker would send: a stranger's identity, as if proven, straight to the server."""
    slots = {"customer_id": str(_customer_id(shop_db, EMAIL)), "verified_order": NUMBER, "order_id": NUMBER}
    return _call("action_list_orders", _tracker(f"attacker-{uuid.uuid4().hex[:8]}", slots))


def _post(stack: Stack, body: Dict[str, Any], token: Optional[str], timeout: float = 30) -> requests.Response:
    params = {} if token is None else {"token": token}
    return requests.post(f"{stack.action_url}/webhook", params=params, json=body, timeout=timeout)


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("", 401), ("wrong-token", 403), ("x" * 43, 403)])
def test_forged_tracker_without_the_right_token_is_refused(
    stack: Stack, shop_db: sessionmaker, token: Optional[str], status: int
) -> None:
    resp = _post(stack, _forged_list_orders(shop_db), token)
    assert resp.status_code == status
    for number in THEIR_ORDERS:
        assert number not in resp.text
    assert "events" not in resp.json() and "responses" not in resp.json()


def test_token_of_another_secret_is_refused(stack: Stack, shop_db: sessionmaker) -> None:
    """Rasa's HTTP API token or the identity key are not the action token."""
    for name in ("RASA_API_TOKEN", "SHOP_IDENTITY_SECRET", "SHOP_SESSION_SECRET"):
        resp = _post(stack, _forged_list_orders(shop_db), stack.env[name])
        assert resp.status_code == 403, name


def test_action_list_needs_the_token_too(stack: Stack) -> None:
    assert requests.get(f"{stack.action_url}/actions", timeout=10).status_code == 401
    listed = requests.get(f"{stack.action_url}/actions", params={"token": stack.action_token}, timeout=10)
    assert listed.status_code == 200 and {"name": "action_list_orders"} in listed.json()


def test_health_stays_open(stack: Stack) -> None:
    resp = requests.get(f"{stack.action_url}/health", timeout=10)
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


def test_call_with_rasas_token_runs_as_rasa_sdk_would(stack: Stack, shop_db: sessionmaker) -> None:
    resp = _post(stack, _forged_list_orders(shop_db), stack.action_token)
    assert resp.status_code == 200
    assert set(resp.json()) == {"events", "responses"}
    # rasa_sdk's own errors are unchanged: an unknown action is a 404 naming it
    missing = _post(stack, _call("action_no_such_thing", _tracker("x", {})), stack.action_token)
    assert missing.status_code == 404 and missing.json()["action_name"] == "action_no_such_thing"


def test_conversations_through_rasa_still_reach_the_actions(stack: Stack, sender: str) -> None:
    """Rasa sends the token from endpoints.yml: a real shopper still gets their order status."""
    stack.say(sender, f"where is my order #{NUMBER}?")
    said = " ".join(m.get("text") or "" for m in stack.say(sender, EMAIL))
    assert f"#{NUMBER}" in said


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp{,6})."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_action_server_listens_on_loopback_only(stack: Stack) -> None:
    assert _listening_addresses(stack.action_port) == {"0100007F"}  # 127.0.0.1


def test_loopback_is_the_code_default_without_any_setting(tmp_path: Path) -> None:
    """``python -m actions.server`` with no ACTION_HOST anywhere still binds 127.0.0.1."""
    env = {k: v for k, v in default_env().items() if k not in ("ACTION_HOST", "SANIC_HOST")}
    port = free_port()
    with serving(actions_argv(port), env, f"http://127.0.0.1:{port}/health", tmp_path / "actions.log", 90):
        assert _listening_addresses(port) == {"0100007F"}


def _identity_check_call(sender: str, order_number: str, email: str) -> Dict[str, Any]:
    """The order form's validator as Rasa calls it after the shopper typed an email."""
    latest = {"text": email, "intent": {"name": "inform", "confidence": 1.0}, "entities": []}
    events = [
        {"event": "action", "name": "order_status_form"},
        {"event": "active_loop", "name": "order_status_form"},
        {"event": "slot", "name": "requested_slot", "value": "email"},
        {"event": "user", "text": email, "parse_data": latest},
        {"event": "slot", "name": "order_id", "value": order_number},
        {"event": "slot", "name": "email", "value": email},
    ]
    tracker = _tracker(sender, {"order_id": order_number, "email": email, "requested_slot": "email"}, events)
    tracker["latest_message"] = latest
    tracker["active_loop"] = {"name": "order_status_form"}
    # Rasa sends its domain; the form's required slots come from it.
    return {**_call("validate_order_status_form", tracker), "domain": _domain()}


def test_call_stuck_on_the_database_blocks_neither_health_nor_other_calls(
    stack: Stack, shop_db: sessionmaker
) -> None:
    """One call waits on a database lock; /health and another conversation's call answer meanwhile."""
    hold_s = 4.0
    db_path = stack.db_url.removeprefix("sqlite:///")
    lock = sqlite3.connect(db_path, timeout=5, isolation_level=None)
    done: Dict[str, Any] = {}

    def slow() -> None:
        started = time.monotonic()
        # An order number and email of no one (so no other test's counters move): the identity
        # check records the failed attempt, a write.
        tag = uuid.uuid4().hex[:8]
        body = _identity_check_call(
            f"slow-{tag}", "9" + str(uuid.uuid4().int)[:5], f"nobody-{tag}@example.com"
        )
        done["resp"] = _post(stack, body, stack.action_token, timeout=60)
        done["seconds"] = time.monotonic() - started

    lock.execute("BEGIN IMMEDIATE")  # holds the write lock: the slow call's write waits for it
    probes: list[float] = []
    try:
        worker = threading.Thread(target=slow)
        worker.start()
        # For as long as the lock is held, /health and another conversation's call keep answering.
        held_until = time.monotonic() + hold_s
        while time.monotonic() < held_until:
            started = time.monotonic()
            health = requests.get(f"{stack.action_url}/health", timeout=10)
            other = _post(stack, _forged_list_orders(shop_db), stack.action_token, timeout=10)
            assert health.status_code == 200 and other.status_code == 200
            probes.append(time.monotonic() - started)
        slow_still_waiting = worker.is_alive()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    worker.join(timeout=60)
    assert slow_still_waiting, (
        f"the identity check did not wait on the database lock: {done['resp'].text} "
        f"after {done['seconds']:.1f}s"
    )
    assert max(probes) < 2.0, f"/health and another call took up to {max(probes):.1f}s behind a stuck call"
    assert done["resp"].status_code == 200
    assert done["seconds"] >= hold_s - 0.5
