"""The order forms' identity rules as the actions apply them: proof expiry and binding,
the lock answer, and refusing lookups when the failure counters can't be read.

Trackers are rasa-sdk's own; the databases are real (SQLite, and an unreachable
PostgreSQL/Redis for the outage cases).
"""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import identity as ident
from actions import identity_form, services
from shop.config import Settings
from shop.db.session import make_engine, make_sessionmaker
from shop.identity import IdentityService
from shop.lookup_rate import LookupRateLimiter, MemoryCounter, RedisCounter
from shop.ratelimit import Limit

NOW = 1_800_000_000.0


def user(text: str, source: Optional[str], at: float) -> Dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": at, "metadata": {"source": source} if source else {}}


def slot(name: str, value: Any, at: Optional[float]) -> Dict[str, Any]:
    event: Dict[str, Any] = {"event": "slot", "name": name, "value": value}
    if at is not None:
        event["timestamp"] = at
    return event


def tracker(events: List[Dict[str, Any]], slots: Dict[str, Any], sender: str = "rest:t") -> Tracker:
    latest = next((e for e in reversed(events) if e["event"] == "user"), {})
    return Tracker(sender, slots, latest, events, False, None, {}, None)


def proven(at: float, proven_from: str = "203.0.113.1", now_from: str = "203.0.113.1") -> Tracker:
    events = [
        user("where is order 104523", proven_from, at - 5),
        user("alex@example.com", proven_from, at - 1),
        slot("customer_id", "7", at),
        slot("verified_order", "104523", at),
        user("cancel it", now_from, NOW),
    ]
    return tracker(events, {"customer_id": "7", "verified_order": "104523", "order_id": "104523"})


@pytest.fixture(autouse=True)
def _settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "settings", lambda: Settings(identity_proof_minutes=30))
    monkeypatch.delenv("SHOP_IDENTITY_SECRET", raising=False)


def test_fresh_proof_from_the_same_address_holds() -> None:
    t = proven(NOW - 29 * 60)
    assert ident.proven_slot(t, "customer_id", now=NOW) == "7"
    assert ident.proven_slot(t, "verified_order", now=NOW) == "104523"


def test_proof_expires_after_the_configured_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    t = proven(NOW - 31 * 60)
    assert ident.proven_slot(t, "customer_id", now=NOW) is None
    monkeypatch.setattr(time, "time", lambda: NOW)
    assert ident.verified_customer(t) is None
    assert ident.verified_order(t) is None
    assert not ident.is_verified_for(t, "104523")


def test_proof_from_another_address_does_not_hold() -> None:
    t = proven(NOW - 60, proven_from="203.0.113.1", now_from="198.51.100.2")
    assert ident.proven_slot(t, "customer_id", now=NOW) is None


def test_slot_filled_without_an_event_setting_it_is_not_a_proof() -> None:
    forged = tracker(
        [user("show my orders", "203.0.113.1", NOW)], {"customer_id": "7", "verified_order": "1"}
    )
    assert ident.proven_slot(forged, "customer_id", now=NOW) is None


def test_slot_set_in_this_very_call_counts_as_now() -> None:
    events = [user("alex@example.com", "203.0.113.1", NOW), slot("customer_id", "7", None)]
    assert ident.proven_slot(tracker(events, {"customer_id": "7"}), "customer_id", now=NOW + 3600) == "7"


def test_locked_answer_gives_minutes_and_a_person_and_nothing_else() -> None:
    until = datetime(2030, 1, 1, 12, 15)
    text = ident.locked_text(until, now=datetime(2030, 1, 1, 12, 0, 30))
    assert "try again in about 15 minutes" in text and "person" in text
    assert "1 minute," in ident.locked_text(until, now=until - timedelta(seconds=10))
    dispatcher = CollectingDispatcher()
    ident.say_locked(dispatcher, until)
    assert dispatcher.messages[0]["buttons"] == [ident.HANDOFF_BUTTON]


def _email_turn(order_number: str = "104523") -> Tracker:
    events = [
        user(f"where is order {order_number}", "203.0.113.9", NOW - 5),
        slot("order_id", order_number, NOW - 4),
        user("alex@example.com", "203.0.113.9", NOW),
        slot("email", "alex@example.com", None),
    ]
    return tracker(events, {"order_id": order_number, "email": "alex@example.com", "requested_slot": "email"})


class _Form(identity_form.OrderIdentityFormValidator):
    def name(self) -> str:
        return "validate_test_form"


def _unreachable_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_order_db_down_refuses_the_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"postgresql://shop@127.0.0.1:{_unreachable_port()}/shop")
    monkeypatch.setattr(services, "identity", lambda: IdentityService(make_sessionmaker(engine), Settings()))
    monkeypatch.setattr(services, "lookup_limiter", lambda: LookupRateLimiter(MemoryCounter()))
    dispatcher = CollectingDispatcher()
    result = _Form().validate_email("alex@example.com", dispatcher, _email_turn(), {})
    assert result == {"email": None, "order_id": None}
    assert dispatcher.messages[0]["text"].startswith(ident.UNAVAILABLE_PREFIX)
    assert dispatcher.messages[0]["buttons"] == [ident.HANDOFF_BUTTON]
    assert ident.lookup_locked(_email_turn())  # the form's own check fails closed too
    engine.dispose()


def test_rate_limit_store_down_refuses_the_lookup(monkeypatch: pytest.MonkeyPatch, db) -> None:  # type: ignore[no-untyped-def]
    redis = RedisCounter.from_url(f"redis://127.0.0.1:{_unreachable_port()}/0")
    monkeypatch.setattr(services, "identity", lambda: IdentityService(db.sessions, Settings()))
    monkeypatch.setattr(services, "lookup_limiter", lambda: LookupRateLimiter(redis, Limit(10), Limit(10)))
    dispatcher = CollectingDispatcher()
    assert _Form().validate_email("alex@example.com", dispatcher, _email_turn(), {}) == {
        "email": None,
        "order_id": None,
    }
    assert dispatcher.messages[0]["text"].startswith(ident.UNAVAILABLE_PREFIX)


def test_a_refusal_ends_the_form_and_is_not_repeated(monkeypatch: pytest.MonkeyPatch, db) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "identity", lambda: IdentityService(db.sessions, Settings()))
    dispatcher = CollectingDispatcher()
    ident.say_locked(dispatcher, datetime(2030, 1, 1))
    t = _email_turn()
    assert ident.refused_this_turn(t, dispatcher)
    import asyncio

    assert asyncio.run(_Form().required_slots(["order_id", "email"], dispatcher, t, {})) == []
    # The action after the form sees the lock answer among this turn's bot events: says nothing more.
    later = tracker([*t.events, {"event": "bot", "text": dispatcher.messages[0]["text"]}], t.slots)
    after = CollectingDispatcher()
    ident.say_refusal(after, later)
    assert after.messages == []


class _CountingIdentity:
    """IdentityService's lock check, counting reads and answering a fixed lock."""

    def __init__(self, locked_until: Optional[datetime]) -> None:
        self.locked, self.reads = locked_until, 0

    def locked_until(self, *args: Any, **kwargs: Any) -> Optional[datetime]:
        self.reads += 1
        return self.locked


def test_a_proven_order_skips_the_lock_read_and_asks_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    monkeypatch.setattr(time, "time", lambda: NOW)
    counting = _CountingIdentity(datetime(2030, 1, 1))  # a lock that would end an unproven form
    monkeypatch.setattr(services, "identity", lambda: counting)
    slots = ["order_id", "email", "cancel_confirmed"]
    proven_slots = asyncio.run(_Form().required_slots(slots, CollectingDispatcher(), proven(NOW - 60), {}))
    assert proven_slots == ["cancel_confirmed"] and counting.reads == 0
    unproven = asyncio.run(_Form().required_slots(slots, CollectingDispatcher(), _email_turn(), {}))
    assert unproven == [] and counting.reads == 1
    counting.locked = None
    assert asyncio.run(_Form().required_slots(slots, CollectingDispatcher(), _email_turn(), {})) == slots


async def test_an_email_the_nlu_missed_is_found_whatever_the_form_asked() -> None:
    # The CRF misses some addresses (``.net``); the form scans the message for one while it
    # asks for the order number too, but never for an order number it did not ask for.
    form, dispatcher = _Form(), CollectingDispatcher()
    events = [user("sorry, it's carol.palmer@example.net 104523", "203.0.113.9", NOW)]
    asking_number = tracker(events, {"requested_slot": "order_id"})
    assert await form.extract_email(dispatcher, asking_number, {}) == {"email": "carol.palmer@example.net"}
    asking_email = tracker(events, {"requested_slot": "email"})  # the number: only when asked
    assert await form.extract_order_id(dispatcher, asking_email, {}) == {}
    assert await form.extract_order_id(dispatcher, asking_number, {}) == {"order_id": "104523"}
