"""The review console attacked from outside: real ``python -m console`` processes over HTTP.

Two console processes share one console DB (as replicas behind a load balancer would), read a
tracker store written by Rasa's own SQLTrackerStore and trust one reverse proxy (so each test
can be its own client address through X-Forwarded-For). A third console, trusting no proxy,
shows the header is ignored by default.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import count
from pathlib import Path

import pytest
import requests

from console import db
from console.auth import Accounts
from harness.env import default_env
from harness.ports import free_port
from shop.secrets import generate
from tests.web.browser import process

#: the interpreter scripts/run.sh serves the console with (its own virtualenv on a maintained
#: aiohttp), or this one where that is not installed
CONSOLE_PYTHON = next(
    (str(p) for p in [Path(__file__).resolve().parents[2] / ".venv-web" / "bin" / "python"] if p.exists()),
    sys.executable,
)
PASSWORD = "correct horse battery"
EMAIL = "alex.morgan@example.com"
MASKED = "a***@e***.com"
SENDER = "rest:shopper-7f3a"
ADDRESSES = (f"203.0.113.{n}" for n in count(1))


def _seed_tracker(path: Path) -> None:
    """One conversation where the shopper gives their email, written as ``rasa run`` would."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    t = datetime(2024, 6, 1, 10, tzinfo=timezone.utc).timestamp()
    text = f"it's {EMAIL}"
    parse = {"intent": {"name": "inform", "confidence": 0.93}, "entities": [], "text": text}
    events = [
        UserUttered("where is my order 104523", {"name": "order_status", "confidence": 0.97}, timestamp=t),
        ActionExecuted("order_status_form", timestamp=t + 1),
        BotUttered("What's the email on the order?", timestamp=t + 1),
        UserUttered(text, parse["intent"], [], parse_data=parse, input_channel="rest", timestamp=t + 5),
        SlotSet("email", EMAIL, timestamp=t + 6),
        BotUttered("Order 104523 has shipped.", timestamp=t + 6),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))

    async def write() -> None:
        tracker = DialogueStateTracker.from_events(SENDER, [])
        for event in events:
            tracker.update(event)
        await store.save(tracker)

    asyncio.run(write())


def _console_env(workdir: Path, console_db: str, secret: str, hops: int) -> dict[str, str]:
    env = default_env()
    env.update(
        {
            "CONSOLE_SECRET": secret,
            "CONSOLE_DB_URL": console_db,
            "CONSOLE_TRACKER_URL": f"sqlite:///{workdir / 'tracker.db'}",
            "SHOP_DB_URL": f"sqlite:///{workdir / 'shop.db'}",
            "RASA_URL": "http://127.0.0.1:9",
            "RASA_API_TOKEN": generate(),
            "CONSOLE_HOST": "127.0.0.1",
            "CONSOLE_INGEST_INTERVAL": "0",
            "CONSOLE_NLU_EXPORT": str(workdir / "export.yml"),
            "CONSOLE_STORIES_DIR": str(workdir / "stories"),
            "CONSOLE_TRUSTED_PROXY_HOPS": str(hops),
        }
    )
    return env


@dataclass(frozen=True)
class Consoles:
    replicas: tuple[str, str]  # two processes, one DB, trusting one proxy hop
    direct: str  # its own DB, trusting no proxy
    console_db: Path
    direct_db: Path


def _users(url: str) -> None:
    engine = db.make_engine(url)
    try:
        db.ensure_schema(engine)
        accounts = Accounts(engine)
        accounts.create_user("admin", PASSWORD, "admin", "Ada")
        accounts.create_user("agent", PASSWORD, "agent", "Sam")
        accounts.create_user("annie", PASSWORD, "annotator", "Annie")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def consoles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consoles]:
    workdir = tmp_path_factory.mktemp("console-attacks")
    _seed_tracker(workdir / "tracker.db")
    sqlite3.connect(workdir / "shop.db").close()
    shared, own = workdir / "console.db", workdir / "direct.db"
    _users(f"sqlite:///{shared}")
    _users(f"sqlite:///{own}")
    secret = generate()
    urls = []
    with ExitStack() as stack:
        for name, path, hops in (("a", shared, 1), ("b", shared, 1), ("direct", own, 0)):
            env = _console_env(workdir, f"sqlite:///{path}", secret, hops)
            env["CONSOLE_PORT"] = str(port := free_port())
            url = f"http://127.0.0.1:{port}"
            stack.enter_context(
                process(
                    [CONSOLE_PYTHON, "-m", "console"], env, f"{url}/health", workdir / f"console-{name}.log"
                )
            )
            urls.append(url)
        admin = Client(urls[0], next(ADDRESSES))
        assert admin.login("admin").status_code == 302
        assert admin.post("/api/ingest").json()["conversations"] == 1
        yield Consoles((urls[0], urls[1]), urls[2], shared, own)


class Client:
    """One browser at one client address (sent as X-Forwarded-For, as our proxy would)."""

    def __init__(self, base: str, address: str | None = None) -> None:
        self.base = base
        self.http = requests.Session()
        if address:
            self.http.headers["X-Forwarded-For"] = address
        self.csrf = ""

    def login(self, username: str, password: str = PASSWORD, base: str | None = None) -> requests.Response:
        base = base or self.base
        page = self.http.get(f"{base}/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        resp = self.http.post(
            f"{base}/login",
            data={"username": username, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=30,
        )
        if resp.status_code == 302:
            page = self.http.get(f"{base}/conversations", timeout=10)
            self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        return resp

    def get(self, path: str, **kw: object) -> requests.Response:
        return self.http.get(self.base + path, timeout=30, allow_redirects=False, **kw)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, str] | None = None) -> requests.Response:
        return self.http.post(
            self.base + path,
            data={"csrf_token": self.csrf, **(data or {})},
            headers={"X-CSRF-Token": self.csrf},
            timeout=30,
            allow_redirects=False,
        )


# --- the console refuses to start with a secret anyone could know -----------------------------


@pytest.mark.parametrize("value", [None, "", "dev-only-change-me", "change-me", "short-but-random-x9"])
def test_console_refuses_to_start_without_a_usable_secret(tmp_path: Path, value: str | None) -> None:
    env = _console_env(tmp_path, f"sqlite:///{tmp_path / 'c.db'}", "", 0)
    env.update({"SHOP_ENV": "production", "CONSOLE_PORT": str(free_port())})
    env.pop("CONSOLE_SECRET")
    if value is not None:
        env["CONSOLE_SECRET"] = value
    done = subprocess.run(
        [CONSOLE_PYTHON, "-m", "console"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "CONSOLE_SECRET" in done.stderr
    if value:
        assert value not in done.stderr


# --- search never matches what the role cannot see ---------------------------------------------


def _found(client: Client, **query: str) -> list[str]:
    resp = client.get("/api/conversations", params=query)
    assert resp.status_code == 200, resp.text
    return [c["sender_id"] for c in resp.json()["conversations"]]


@pytest.mark.parametrize("role_user", ["agent", "annie"])
def test_agent_search_for_a_masked_email_finds_nothing(consoles: Consoles, role_user: str) -> None:
    client = Client(consoles.replicas[0], next(ADDRESSES))
    assert client.login(role_user).status_code == 302
    for needle in (EMAIL, "alex.morgan", "morgan@", "@example.com", "example.com", "ALEX.MORGAN@EXAMPLE.COM"):
        assert _found(client, q=needle) == [], needle
    assert _found(client, slot=f"email={EMAIL}") == []
    # what the role is shown is searchable
    assert _found(client, q=MASKED) == [SENDER]
    assert _found(client, q="where is my order") == [SENDER]
    assert _found(client, slot=f"email={MASKED}") == [SENDER]
    page = client.get("/conversations", params={"q": EMAIL})
    assert page.status_code == 200 and SENDER not in page.text


def test_admin_who_sees_emails_can_search_them(consoles: Consoles) -> None:
    client = Client(consoles.replicas[0], next(ADDRESSES))
    assert client.login("admin").status_code == 302
    assert _found(client, q="alex.morgan") == [SENDER]
    assert _found(client, slot=f"email={EMAIL}") == [SENDER]


# --- transcript reads are audited ------------------------------------------------------------


def test_every_transcript_read_is_audited_and_visible_to_admins(consoles: Consoles) -> None:
    agent = Client(consoles.replicas[1], next(ADDRESSES))
    assert agent.login("agent").status_code == 302
    path = "/conversations/" + requests.utils.quote(SENDER, safe="")
    assert agent.get(path).status_code == 200
    api = agent.get(
        f"/api/conversations/{requests.utils.quote(SENDER, safe='')}/events", params={"after": "1"}
    )
    assert api.status_code == 200 and api.json()["events"]
    assert agent.get("/admin/audit").status_code == 403

    admin = Client(consoles.replicas[0], next(ADDRESSES))
    assert admin.login("admin").status_code == 302
    audit = admin.get("/admin/audit").text
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", audit, re.S) if "conversation.view" in r]
    by_agent = [r for r in rows if ">agent<" in r and SENDER in r]
    assert len(by_agent) >= 2, rows[:5]
    assert any("page" in r for r in by_agent) and any("api" in r for r in by_agent)
    with sqlite3.connect(consoles.console_db) as conn:
        views = conn.execute(
            "select at, ip from audit_log where action='conversation.view' and username='agent' and target=?",
            (SENDER,),
        ).fetchall()
    assert len(views) >= 2 and all(at and ip.startswith("203.0.113.") for at, ip in views)


# --- login limited per address and per username, shared by every process -----------------------


def _wrong(client: Client, username: str, base: str | None = None) -> requests.Response:
    return client.login(username, "not the password", base=base)


def test_username_lock_spans_processes_and_refuses_the_right_password(consoles: Consoles) -> None:
    first, second = consoles.replicas
    for _ in range(5):  # five wrong passwords, each from a fresh address, on replica A
        assert _wrong(Client(first, next(ADDRESSES)), "annie").status_code in (401, 429)
    locked = Client(second, next(ADDRESSES)).login("annie")  # right password, replica B, new address
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert "try again in 15 minutes" in locked.text
    # other users from those addresses are not locked out
    assert Client(second, next(ADDRESSES)).login("agent").status_code == 302


def test_address_lock_holds_across_invented_usernames_and_the_table_stays_small(consoles: Consoles) -> None:
    address = next(ADDRESSES)
    client = Client(consoles.replicas[0], address)
    names = [f"guess-{n}-{generate()[:8]}" for n in range(60)]
    statuses = [_wrong(client, name).status_code for name in names]
    assert statuses[:19] == [401] * 19 and set(statuses[19:]) == {429}
    # a right password for a real account from that address is refused too, on either replica
    assert client.login("admin").status_code == 429
    assert client.login("admin", base=consoles.replicas[1]).status_code == 429
    assert Client(consoles.replicas[1], next(ADDRESSES)).login("admin").status_code == 302
    with sqlite3.connect(consoles.console_db) as conn:
        rows = conn.execute("select kind, key from login_failures").fetchall()
    assert len(rows) <= 40  # this test's 20 + the other tests' few, not 60
    stored = " ".join(k for _, k in rows)
    assert not any(name in stored for name in names) and address not in stored


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(consoles: Consoles) -> None:
    statuses = [
        _wrong(Client(consoles.direct, next(ADDRESSES)), f"nobody-{n}").status_code for n in range(22)
    ]
    assert statuses[:19] == [401] * 19 and statuses[-1] == 429  # one address: the connection's
    with sqlite3.connect(consoles.direct_db) as conn:
        ips = {ip for (ip,) in conn.execute("select ip from audit_log where action='login'")}
    assert ips == {"127.0.0.1"}


# --- other inputs, as an attacker types them ---------------------------------------------------

HOSTILE_GETS = [
    "/conversations/%00",
    "/conversations/" + "x" * 400,
    "/conversations/%ED%A0%80",
    "/conversations?page=%C2%B2&min_conf=nan&max_conf=-1&date_from=9999-99-99&sort=%00",
    "/conversations?q=%00%25_%5C&slot=%00=%00&tag=%27%22%3C&intent=" + "y" * 5000,
    "/conversations?page=99999999999999999999999",
    "/api/conversations?q=%ED%A0%80&page=-5",
    f"/api/conversations/{SENDER}/events?after=99999999999999999999999",
    f"/api/conversations/{SENDER}/events?after=%C2%B2",
    "/api/conversations/%00/events",
    "/handoff/99999999999999999999",
    "/handoff/%D9%A1",
    "/nlu?page=%C2%B2&status=%00",
    "/analytics?days=" + "9" * 5000,
    "/api/analytics?days=%C2%B2",
    "/login?next=%00",
]
HOSTILE_POSTS = [
    ("/filters", {"name": "x\x00y", "q": "\x00", "page": "²"}),
    ("/filters/99999999999999999999/delete", {}),
    ("/filters/0/delete", {}),
    (f"/conversations/{SENDER}/flag", {"event_id": "99999999999999999999", "note": "\x00"}),
    (f"/conversations/{SENDER}/flag", {"event_id": "²"}),
    (f"/conversations/{SENDER}/tags", {"tag": "\x00<script>"}),
    (f"/conversations/{SENDER}/review", {"status": "\x00"}),
    ("/handoff/99999999999999999999/take", {}),
    ("/handoff/99999999999999999999/reply", {"text": "hi"}),
    ("/handoff/fallback/take", {"sender_id": "\x00"}),
    ("/nlu/99999999999999999999/confirm", {}),
    ("/admin/users/99999999999999999999/active", {"active": "0"}),
    ("/admin/users", {"username": "\x00", "password": "\x00" * 20, "role": "admin"}),
]


@pytest.mark.parametrize("role_user", ["agent", "admin"])
def test_hostile_ids_filters_and_params_get_a_4xx_never_a_500_or_pii(
    consoles: Consoles, role_user: str
) -> None:
    client = Client(consoles.replicas[0], next(ADDRESSES))
    assert client.login(role_user).status_code == 302
    for path in HOSTILE_GETS:
        resp = client.get(path)
        assert resp.status_code < 500, (path, resp.status_code, resp.text[:300])
        if role_user == "agent":
            assert "alex.morgan" not in resp.text, path
    for path, data in HOSTILE_POSTS:
        resp = client.post(path, data)
        assert resp.status_code < 500, (path, resp.status_code, resp.text[:300])
        if role_user == "agent":
            assert "alex.morgan" not in resp.text, path
    for saved in re.findall(r'href="/conversations\?([^"]*)"', client.get("/conversations").text):
        assert client.get("/conversations?" + saved.replace("&amp;", "&")).status_code == 200


@pytest.mark.parametrize(
    "target", ["/\t/evil.example", "/\\evil.example", "//evil.example", "/\n/evil.example"]
)
def test_login_never_redirects_off_site(consoles: Consoles, target: str) -> None:
    client = Client(consoles.replicas[0], next(ADDRESSES))
    page = client.http.get(f"{client.base}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    resp = client.http.post(
        f"{client.base}/login",
        data={"username": "agent", "password": PASSWORD, "csrf_token": token, "next": target},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/conversations"
