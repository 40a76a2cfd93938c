"""A seeded tracker store (written through Rasa's own SQLTrackerStore), a migrated shop DB,
a fake Rasa HTTP API that records appended events, and a console app with three users."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from console import db
from console.app import build_app
from console.auth import Accounts
from console.config import PROJECT_ROOT, ConsoleSettings
from shop.secrets import generate

BASE_TS = datetime(2024, 6, 1, 10, 0, tzinfo=timezone.utc).timestamp()
PASSWORD = "correct horse battery"
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def user(
    text: str, intent: str, confidence: float, ts: float, entities: list | None = None, channel: str = "rest"
):
    from rasa.shared.core.events import UserUttered

    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": entities or [], "text": text}
    return UserUttered(
        text, parse["intent"], entities or [], parse_data=parse, input_channel=channel, timestamp=ts
    )


def action(name: str, ts: float, policy: str | None = "RulePolicy", confidence: float | None = 1.0):
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name, policy=policy, confidence=confidence, timestamp=ts)


def bot(text: str, ts: float, custom: dict[str, Any] | None = None):
    from rasa.shared.core.events import BotUttered

    return BotUttered(text, data={"custom": custom} if custom else {}, timestamp=ts)


def slot(name: str, value: Any, ts: float):
    from rasa.shared.core.events import SlotSet

    return SlotSet(name, value, timestamp=ts)


def pause(ts: float):
    from rasa.shared.core.events import ConversationPaused

    return ConversationPaused(timestamp=ts)


def entity(text: str, fragment: str, name: str, value: str | None = None) -> dict[str, Any]:
    start = text.index(fragment)
    return {
        "entity": name,
        "start": start,
        "end": start + len(fragment),
        "value": value or fragment,
        "extractor": "RegexEntityExtractor",
    }


class TrackerWriter:
    """Appends events to a SQLite tracker store exactly as ``rasa run`` would."""

    def __init__(self, path: Path) -> None:
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
        self.url = f"sqlite:///{path}"

    def add(self, sender: str, events: list[Any]) -> None:
        from rasa.shared.core.trackers import DialogueStateTracker

        async def go() -> None:
            tracker = await self.store.retrieve(sender) or DialogueStateTracker.from_events(sender, [])
            for ev in events:
                tracker.update(ev)
            await self.store.save(tracker)

        asyncio.run(go())


def seed_conversations(w: TrackerWriter) -> None:
    t = BASE_TS
    order_text = "where is my order 104523"
    mail_text = "it's alex.morgan@example.com"
    w.add(
        "conv-order",
        [
            user(order_text, "order_status", 0.97, t, [entity(order_text, "104523", "order_id")]),
            action("order_status_form", t + 1),
            slot("order_id", "104523", t + 1),
            bot("What's the email on the order?", t + 1),
            action("action_listen", t + 1),
            user(mail_text, "inform", 0.91, t + 5, [entity(mail_text, "alex.morgan@example.com", "email")]),
            slot("email", "alex.morgan@example.com", t + 6),
            action("action_order_status", t + 6, "RulePolicy", 1.0),
            bot("Order 104523 has shipped.", t + 6),
            slot("csat_score", 5, t + 9),
            action("action_listen", t + 9),
        ],
    )
    w.add(
        "conv-fallback",
        [
            user("blorp the flanges", "nlu_fallback", 0.21, t + 3600, channel="socketio"),
            action("action_two_stage_fallback", t + 3601),
            bot("Did you mean...", t + 3601),
            user("zibble wibble", "nlu_fallback", 0.18, t + 3610, channel="socketio"),
            action("action_default_fallback", t + 3611, "RulePolicy", 0.3),
            user(XSS, "out_of_scope", 0.35, t + 3620, channel="socketio"),
            action("action_default_fallback", t + 3621, "RulePolicy", 0.3),
            action("action_listen", t + 3621),
        ],
    )
    w.add(
        "conv-handoff",
        [
            user("where is my order", "order_status", 0.99, t + 86400, channel="telegram"),
            action("order_status_form", t + 86401),
            user("I want to talk to a real person", "human_handoff", 0.95, t + 86410, channel="telegram"),
            action("action_handoff", t + 86411, "RulePolicy", 1.0),
            bot("I've asked a person from our support team to join this chat.", t + 86411),
            pause(t + 86411),
            action("action_listen", t + 86411),
        ],
    )


@dataclass
class FakeRasa:
    """Records POST /conversations/{id}/tracker/events like Rasa's HTTP API would receive them."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def app(self) -> web.Application:
        async def append(request: web.Request) -> web.Response:
            self.calls.append(
                {
                    "sender": request.match_info["sender"],
                    "query": dict(request.query),
                    "events": await request.json(),
                }
            )
            return web.json_response({"sender_id": request.match_info["sender"]}, status=self.status)

        app = web.Application()
        app.router.add_post("/conversations/{sender}/tracker/events", append)
        return app

    def events(self) -> list[dict[str, Any]]:
        return [ev for call in self.calls for ev in call["events"]]


@dataclass
class Env:
    tmp: Path
    tracker: TrackerWriter
    settings: ConsoleSettings
    shop_url: str
    rasa: FakeRasa


@pytest.fixture
def env(tmp_path: Path, make_db) -> Env:  # type: ignore[no-untyped-def]
    tracker = TrackerWriter(tmp_path / "tracker.db")
    seed_conversations(tracker)
    shop = make_db("sqlite", False)
    settings = ConsoleSettings(
        secret=generate(),
        console_db_url=f"sqlite:///{tmp_path / 'console.db'}",
        tracker_url=tracker.url,
        shop_db_url=shop.url,
        rasa_url="http://127.0.0.1:1",  # replaced by the fake's address in `console`
        rasa_token="test-token",
        ingest_interval=0,
        nlu_dir=PROJECT_ROOT / "data" / "nlu",
        export_file=tmp_path / "nlu" / "console_export.yml",
        stories_dir=tmp_path / "stories",
        domain_file=PROJECT_ROOT / "domain.yml",
    )
    return Env(tmp_path, tracker, settings, shop.url, FakeRasa())


@dataclass
class Console:
    app: web.Application
    client: TestClient
    env: Env

    async def login(self, username: str, password: str = PASSWORD) -> str:
        """Log in; returns the session's CSRF token (read from a page, as a browser would)."""
        page = await self.client.get("/login")
        token = _csrf(await page.text())
        resp = await self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
        )
        assert resp.status == 302, await resp.text()
        return await self.csrf()

    async def csrf(self) -> str:
        page = await self.client.get("/conversations")
        assert page.status == 200
        return _csrf(await page.text())

    def forget(self) -> None:
        """Drop cookies, like a fresh browser."""
        self.client.session.cookie_jar.clear()

    async def ingest_as(self, name: str = "admin") -> str:
        """Ingest the tracker store as the admin, then go on as ``name``; returns the CSRF token."""
        token = await self.login("admin")
        resp = await self.client.post("/api/ingest", headers={"X-CSRF-Token": token})
        assert resp.status == 200
        if name != "admin":
            self.forget()
            token = await self.login(name)
        return token

    async def senders(self, query: str) -> list[str]:
        """The sender ids the conversation list shows for ``query``, in its order."""
        resp = await self.client.get("/api/conversations?" + query)
        assert resp.status == 200
        return [c["sender_id"] for c in (await resp.json())["conversations"]]


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


@asynccontextmanager
async def open_console(env: Env, **overrides: Any) -> AsyncIterator[Console]:
    """The console app on a test server, talking to a fresh fake Rasa, with four users;
    ``overrides`` replace fields of ``env.settings`` (``storefront_url=...``)."""
    fake = TestServer(env.rasa.app())
    await fake.start_server()
    settings = dataclasses.replace(env.settings, rasa_url=str(fake.make_url("")).rstrip("/"), **overrides)
    app = build_app(settings)
    accounts = Accounts(app[_key("CONSOLE_DB")])
    accounts.create_user("admin", PASSWORD, "admin", "Ada")
    accounts.create_user("annie", PASSWORD, "annotator", "Annie")
    accounts.create_user("agent", PASSWORD, "agent", "Sam")
    accounts.create_user("agent2", PASSWORD, "agent", "Kim")
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Console(app, client, env)
    finally:
        await client.close()
        await fake.close()


@pytest.fixture
async def console(env: Env) -> AsyncIterator[Console]:
    async with open_console(env) as running:
        yield running


def _key(name: str) -> Any:
    import console.app as appmod

    return getattr(appmod, name)


@pytest.fixture
def console_engine(console: Console) -> Iterator[Any]:
    yield console.app[_key("CONSOLE_DB")]


__all__ = ["db"]
