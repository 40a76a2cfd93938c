"""A long conversation stays bounded and means the same (issue 13).

Rasa used to load, replay, featurize and post to the action server every event of the
session on every turn. ``ops.tracker_window.BoundedSessionStore`` (the tracker store of
``endpoints.yml``) loads a long session as the events from a safe boundary on plus the stored
events that carry the state from before it. These tests check, with the real store and
domain, that the bounded tracker is the full one as far as Rasa and the actions can tell,
and, with the real Rasa and action server (through a recording relay in between), that what
the action server receives stops growing while an identity proof given 100 turns earlier
still holds and a form still works.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from harness.paths import ROOT
from harness.ports import free_port
from harness.postgres import create_database
from harness.stack import Stack, prepare_catalog_index, prepare_shop_db, stack_env
from ops.tracker_store import EnvSQLTrackerStore
from ops.tracker_window import DEFAULT_WINDOW_EVENTS
from shop.seed.demo import DEMO_ORDERS

ORDER, EMAIL = DEMO_ORDERS["delivered_recent"]
SECOND_ORDER, SECOND_EMAIL = DEMO_ORDERS["processing"]  # another customer
TALK = ("hello", "are you a bot?")
#: Events a bounded tracker may hold: the window, each slot's pinned SlotSet and message, a
#: pause, and the current turn's own events.
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
BOUND = DEFAULT_WINDOW_EVENTS + 2 * len(DOMAIN.slots) + 1 + 40


# --- the store alone: bounded == full -------------------------------------------------


def user(text: str, intent: str, t: float, source: str = "127.0.0.1") -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": text}
    return UserUttered(
        text, parse["intent"], [], parse, timestamp=t, input_channel="rest", metadata={"source": source}
    )


def talk_turn(t: float, intent: str = "greet") -> List[Event]:
    return [
        user("hello", intent, t),
        ActionExecuted("utter_greet", timestamp=t + 0.1),
        BotUttered("Hi!", metadata={"utter_action": "utter_greet"}, timestamp=t + 0.2),
        ActionExecuted("action_listen", timestamp=t + 0.3),
    ]


def conversation(turns: int, form_from: int = -1) -> List[Event]:
    """A session: a proof (order + email) at turn 2, small talk, a form active from ``form_from``."""
    t = 1_000_000.0
    events: List[Event] = [
        ActionExecuted("action_session_start", timestamp=t),
        SessionStarted(timestamp=t),
        ActionExecuted("action_listen", timestamp=t),
    ]
    for n in range(turns):
        t += 10
        if n == 1:
            events += [
                user(EMAIL, "inform", t, source="10.0.0.7"),
                SlotSet("email", EMAIL, timestamp=t + 0.1),
                SlotSet("customer_id", "1", timestamp=t + 0.1),
                SlotSet("verified_order", ORDER, timestamp=t + 0.1),
                ActionExecuted("action_listen", timestamp=t + 0.3),
            ]
        elif n == form_from:
            events += [
                user("I want to return something", "return_item", t),
                ActionExecuted("return_form", timestamp=t + 0.1),
                ActiveLoop("return_form", timestamp=t + 0.1),
                SlotSet("requested_slot", "order_id", timestamp=t + 0.1),
                ActionExecuted("action_listen", timestamp=t + 0.3),
            ]
        else:
            events += talk_turn(t, "greet" if n % 2 else "bot_challenge")
    return events


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EnvSQLTrackerStore]:
    """The assistant's tracker store on SQLite and on a real PostgreSQL server."""
    if request.param == "sqlite":
        made = EnvSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    else:
        url = make_url(create_database(request.getfixturevalue("pg_url"), f"trk_{uuid.uuid4().hex[:10]}"))
        made = EnvSQLTrackerStore(
            domain=DOMAIN, dialect="postgresql", host=url.host, port=url.port, db=url.database,
            username=url.username, password=url.password,
        )  # fmt: skip
    yield made
    made.engine.dispose()


def stored(store: EnvSQLTrackerStore, sender: str) -> List[Dict[str, Any]]:
    with store.session_scope() as session:
        rows = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender)
            .order_by(store.SQLEvent.id)
        )
        return [json.loads(r.data) for r in rows]


def assert_same_state(bounded: DialogueStateTracker, full: DialogueStateTracker) -> None:
    assert bounded.current_slot_values() == full.current_slot_values()
    assert bounded.active_loop == full.active_loop
    assert bounded.is_paused() == full.is_paused()
    assert bounded.latest_message.parse_data == full.latest_message.parse_data
    assert bounded.latest_action == full.latest_action
    assert bounded.followup_action == full.followup_action
    assert bounded.past_states(DOMAIN)[-10:] == full.past_states(DOMAIN)[-10:]


async def save_full(store: EnvSQLTrackerStore, sender: str, events: List[Event]) -> DialogueStateTracker:
    full = DialogueStateTracker.from_events(sender, events, DOMAIN.slots)
    await store.save(full)
    return full


async def test_a_long_session_loads_bounded_with_the_same_state(store: EnvSQLTrackerStore) -> None:
    full = await save_full(store, "long", conversation(150))
    bounded = await store.retrieve("long")
    assert bounded is not None and len(full.events) > 600
    assert len(bounded.events) <= BOUND
    assert_same_state(bounded, full)
    # The proof's SlotSet (turn 2) and the message it answered are still there, in order.
    kept = [e for e in bounded.events if isinstance(e, SlotSet | UserUttered)]
    proof = next(i for i, e in enumerate(kept) if isinstance(e, SlotSet) and e.key == "customer_id")
    answered = [e for e in kept[:proof] if isinstance(e, UserUttered)]
    assert answered and answered[-1].metadata == {"source": "10.0.0.7"}


async def test_a_short_session_loads_whole(store: EnvSQLTrackerStore) -> None:
    full = await save_full(store, "short", conversation(10))
    loaded = await store.retrieve("short")
    assert loaded is not None and [e.as_dict() for e in loaded.events] == [e.as_dict() for e in full.events]


async def test_a_form_running_over_the_window_keeps_its_start(store: EnvSQLTrackerStore) -> None:
    # The form started 40 turns ago and is still active: no boundary inside it is safe.
    full = await save_full(store, "form", conversation(150, form_from=110))
    bounded = await store.retrieve("form")
    assert bounded is not None and bounded.active_loop_name == "return_form"
    assert any(isinstance(e, ActiveLoop) and e.name == "return_form" for e in bounded.events)
    assert_same_state(bounded, full)


async def test_a_pause_before_the_window_is_kept(store: EnvSQLTrackerStore) -> None:
    events = conversation(150)
    events.insert(20, ConversationPaused(timestamp=events[19].timestamp))
    full = await save_full(store, "paused", events)
    bounded = await store.retrieve("paused")
    assert bounded is not None and full.is_paused() and bounded.is_paused()
    assert_same_state(bounded, full)


async def test_saving_a_bounded_tracker_appends_exactly_the_new_events(store: EnvSQLTrackerStore) -> None:
    await save_full(store, "save", conversation(150))
    before = stored(store, "save")
    for turn in range(3):
        tracker = await store.retrieve("save")
        assert tracker is not None and len(tracker.events) <= BOUND
        new = talk_turn(2_000_000.0 + 10 * turn)
        tracker.update_with_events(new, DOMAIN)
        await store.save(tracker)
        await store.save(tracker)  # saving again adds nothing
        before += [e.as_dict() for e in new]
        assert stored(store, "save") == before


# --- the real assistant: payload bounded, behaviour unchanged -------------------------


@dataclass
class Relay:
    """Forwards Rasa's action calls to the action server, recording each call's event count."""

    target: int
    port: int = field(default_factory=free_port)
    calls: List[Dict[str, Any]] = field(default_factory=list)

    def start(self) -> ThreadingHTTPServer:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                call = json.loads(body)
                relay.calls.append(
                    {
                        "action": call["next_action"],
                        "events": len(call["tracker"]["events"]),
                        "bytes": len(body),
                    }
                )
                resp = requests.post(
                    f"http://127.0.0.1:{relay.target}{self.path}",
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=60,
                )
                self.send_response(resp.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture(scope="module")
def relayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Relay]]:
    """start_stack's assistant with Rasa calling the action server through a :class:`Relay`."""
    workdir = tmp_path_factory.mktemp("long")
    stack = Stack(workdir=workdir, env=stack_env(workdir, {"SHOP_LOOKUP_RATE_PER_CONVERSATION": "0"}))
    stack.action_port = free_port()
    relay = Relay(stack.action_port)
    stack.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{relay.port}/webhook"
    prepare_shop_db(stack.env)
    prepare_catalog_index(stack.env)
    server = relay.start()
    try:
        stack.start_both()
        yield stack, relay
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


def text(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


def stored_events(stack: Stack, conversation: str) -> List[Dict[str, Any]]:
    with sqlite3.connect(stack.env["TRACKER_DB"]) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (conversation,))
        return [json.loads(data) for (data,) in rows]


def assert_stored_once_and_bounded(stack: Stack, relay: Relay, sender: str, said: List[str]) -> None:
    """Every message stored once, in order; payloads and Rasa's tracker bounded; slots exact."""
    events = stored_events(stack, f"rest:{sender}")
    assert [e["text"] for e in events if e["event"] == "user"] == said
    assert len(events) > 3 * BOUND  # the session is far longer than any payload
    assert relay.calls and max(c["events"] for c in relay.calls) <= BOUND
    # Rasa's slots are what replaying every stored event gives; the HTTP API still shows the
    # whole history (it reads Rasa's retrieve_full_tracker, which is not bounded).
    full = DialogueStateTracker.from_dict(f"rest:{sender}", events, DOMAIN.slots)
    api = stack.tracker(sender)
    assert api["slots"] == full.current_slot_values()
    assert len(api["events"]) == len(events)


def talk(stack: Stack, sender: str, turns: int, said: List[str]) -> None:
    for n in range(turns):
        said.append(TALK[n % 2])
        assert text(stack.say(sender, said[-1]))


def test_a_proof_from_turn_2_holds_after_100_turns(relayed: tuple[Stack, Relay]) -> None:
    stack, relay = relayed
    relay.calls.clear()
    sender, said = f"long-{uuid.uuid4().hex[:10]}", [f"where is my order {ORDER}?", EMAIL]
    assert "email" in text(stack.say(sender, said[0])).lower()
    assert f"Order #{ORDER}" in text(stack.say(sender, said[1]))
    for _ in range(10):
        talk(stack, sender, 9, said)
        said.append(f"where is my order {ORDER}?")  # validation + lookup, no email asked
        assert f"Order #{ORDER}" in text(stack.say(sender, said[-1]))
    # The proof's SlotSet is now hundreds of events before the window, and still holds.
    assert_stored_once_and_bounded(stack, relay, sender, said)


def test_a_form_after_100_turns_then_its_proof_beyond_the_window(relayed: tuple[Stack, Relay]) -> None:
    stack, relay = relayed
    relay.calls.clear()
    sender, said = f"long-{uuid.uuid4().hex[:10]}", []
    talk(stack, sender, 100, said)
    # The order form over two turns: number, then the email that proves it.
    said.append(f"where is my order {SECOND_ORDER}?")
    assert "email address" in text(stack.say(sender, said[-1])).lower()
    said.append(SECOND_EMAIL)
    assert f"Order #{SECOND_ORDER}" in text(stack.say(sender, said[-1]))
    # Push the proof out of the window: it still holds, the email is not asked again.
    talk(stack, sender, 30, said)
    said.append(f"where is my order {SECOND_ORDER}?")
    assert f"Order #{SECOND_ORDER}" in text(stack.say(sender, said[-1]))
    assert_stored_once_and_bounded(stack, relay, sender, said)
