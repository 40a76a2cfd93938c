"""Shared fixtures: real PostgreSQL (session-scoped) and SQLite databases, migrated
with the project's Alembic scripts and seeded through ``shop.seed``; the real assistant
(``stack``), started once per session from :mod:`harness.stack`.

Nothing is skipped: a PostgreSQL server that can't start, a missing trained model or
Chromium fails the tests that need them (:class:`harness.paths.Missing`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from harness.postgres import create_database, start_postgres  # noqa: E402
from shop.config import Settings  # noqa: E402
from shop.db.migrate import upgrade  # noqa: E402
from shop.db.session import make_engine, make_sessionmaker  # noqa: E402
from shop.seed.demo import DEMO_ORDERS, SeedSize, seed_database  # noqa: E402
from tests.channels.fake_telegram import FakeTelegram  # noqa: E402
from tests.channels.fake_telegram import rasa_env as telegram_rasa_env  # noqa: E402
from tests.scheduling import end_finished_groups, group_shared_fixture_users, make_scheduler  # noqa: E402

if TYPE_CHECKING:
    from xdist.remote import Producer
    from xdist.scheduler.protocol import Scheduling

    from harness.stack import Stack
    from tests.web.browser import StorefrontStack

#: Reference time for seeded data in tests (naive UTC).
FIXED_NOW = datetime(2024, 6, 1, 12, 0, 0)
BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and silence SQLite's Decimal warning."""
    config.addinivalue_line("markers", "postgres: needs the throwaway PostgreSQL server")
    # SQLite stores Numeric as float; the services quantize to cents, so this is noise.
    config.addinivalue_line(
        "filterwarnings",
        r"ignore:Dialect sqlite\+pysqlite does \*not\* support Decimal:sqlalchemy.exc.SAWarning",
    )


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants ``postgres`` (``-m "not postgres"`` deselects them by hand);
    group the users of each shared server (:mod:`tests.scheduling`)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            item.add_marker("postgres")
    group_shared_fixture_users(items)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> Optional[Scheduling]:
    """``--dist loadgroup``: shared servers' users together, the longest units first."""
    return make_scheduler(config, log)


@pytest.hookimpl(trylast=True)  # after pytest tore down the test's own fixtures
def pytest_runtest_teardown(item: pytest.Item, nextitem: Optional[pytest.Item]) -> None:
    """Stop a group's shared servers once its last test ran (only under ``--dist loadgroup``)."""
    end_finished_groups(item, nextitem)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A skipped or xfailed test is a failure: nothing a test needs may be missing quietly."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped:
        why = getattr(report, "wasxfail", None) or (
            report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        )
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} was skipped or xfailed ({why}): in this suite that is a failure"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL server started for this test session."""
    workdir = tempfile.mkdtemp(prefix="shop-pg-")
    url, stop = start_postgres(Path(workdir) / "pg")
    try:
        yield url
    finally:
        stop()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Db:
    """A test database: its backend, URL, engine and session factory."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker


class _Templates:
    """Migrated (and seeded) databases built once per session and copied per test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.cache: dict[tuple[str, bool], str] = {}

    def sqlite(self, seeded: bool) -> str:
        key = ("sqlite", seeded)
        if key not in self.cache:
            path = self.tmp / f"template-{'seeded' if seeded else 'empty'}.db"
            url = f"sqlite:///{path}"
            _prepare(url, seeded)
            self.cache[key] = str(path)
        return self.cache[key]

    def postgres(self, server_url: str, seeded: bool) -> str:
        key = ("postgresql", seeded)
        if key not in self.cache:
            name = f"template_{'seeded' if seeded else 'empty'}"
            _prepare(create_database(server_url, name), seeded)
            self.cache[key] = name
        return self.cache[key]


def _prepare(url: str, seeded: bool) -> None:
    upgrade(url)
    if seeded:
        engine = make_engine(url)
        try:
            seed_database(engine, now=FIXED_NOW, size=SeedSize.small())
        finally:
            engine.dispose()
    if url.startswith("sqlite"):
        # fold the WAL back into the main file so a plain copy is complete
        import sqlite3

        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> _Templates:
    return _Templates(tmp_path_factory.mktemp("db-templates"))


@pytest.fixture
def make_db(
    request: pytest.FixtureRequest, tmp_path: Path, _templates: _Templates
) -> Iterator[Callable[[str, bool], Db]]:
    """Factory: a fresh database for ``backend``, migrated, optionally with the small seed."""
    engines: list[Engine] = []

    def factory(backend: str, seeded: bool = False) -> Db:
        if backend == "sqlite":
            path = tmp_path / f"shop-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(_templates.sqlite(seeded), path)
            url = f"sqlite:///{path}"
        else:
            server = request.getfixturevalue("pg_url")
            template = _templates.postgres(server, seeded)
            url = create_database(server, f"t_{uuid.uuid4().hex[:12]}", template=template)
        engine = make_engine(url)
        engines.append(engine)
        return Db(backend, url, engine, make_sessionmaker(engine))

    yield factory
    for engine in engines:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, make_db: Callable[[str, bool], Db]) -> Db:
    """A fresh, migrated, empty database on each backend."""
    return make_db(request.param, False)


@pytest.fixture(params=BACKENDS)
def seeded_db(request: pytest.FixtureRequest, make_db: Callable[[str, bool], Db]) -> Db:
    """A fresh database on each backend with the small deterministic seed + demo orders."""
    return make_db(request.param, True)


@pytest.fixture
def settings() -> Settings:
    """The documented defaults, whatever the environment says."""
    return Settings()


@dataclass(frozen=True)
class DemoOrder:
    """A demo order the seed always creates, with its customer's id."""

    order_number: str
    email: str
    customer_id: int


@pytest.fixture
def demo(seeded_db: Db, settings: Settings) -> dict[str, DemoOrder]:
    """The fixed demo orders with their customers' ids, found through IdentityService."""
    from shop.identity import IdentityService

    identity = IdentityService(seeded_db.sessions, settings)
    found = {}
    for name, (number, email) in DEMO_ORDERS.items():
        result = identity.verify(f"fixture-{name}", number, email, now=FIXED_NOW)
        assert result.ok and result.customer_id is not None, name
        found[name] = DemoOrder(number, email, result.customer_id)
    return found


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeTelegram]:
    """The loopback Bot API (tests/channels/fake_telegram.py) the session's ``stack`` talks to."""
    fake = FakeTelegram().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeTelegram) -> Iterator[Stack]:
    """The real assistant (action server + Rasa + seeded SQLite), started once per session.

    Shared by tests/e2e, tests/security, tests/channels, tests/console and tests/web: a
    Rasa start-up costs one to three minutes on 2 cores, so a module starts its own only when
    it must change how the servers run (the fault tests kill them; two Rasa workers) or needs
    a tracker store to itself (``second_stack``). Its Telegram channel is on, in webhook mode,
    against ``telegram_api`` (tests/channels/test_telegram_rasa.py); the other channels do
    not see it. All its users run on one xdist worker (:mod:`tests.scheduling`).
    """
    from harness.stack import start_stack

    running = start_stack(tmp_path_factory.mktemp("stack"), telegram_rasa_env(telegram_api, "webhook"))
    try:
        yield running
    finally:
        running.stop()


@dataclass(frozen=True)
class SecondStack:
    """A second real assistant, and the loopback Bot API its Telegram channel polls."""

    stack: Stack
    telegram: FakeTelegram


@pytest.fixture(scope="session")
def second_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecondStack]:
    """An assistant whose tracker store only a few tests write, Telegram in polling mode.

    For the console's review round trip (it must find exactly its own fallback conversation
    and nobody waiting for a person) and the Telegram polling test (a Rasa polls in one mode
    only); neither writes what the other looks for. Started once, on the one worker that runs
    both (:mod:`tests.scheduling`).
    """
    from harness.stack import start_stack

    fake = FakeTelegram().start()
    try:
        running = start_stack(tmp_path_factory.mktemp("second-stack"), telegram_rasa_env(fake, "polling"))
        try:
            yield SecondStack(running, fake)
        finally:
            running.stop()
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def web_shop(stack: Stack) -> Iterator[StorefrontStack]:
    """The storefront (``python -m web``) in front of the session's ``stack``, sharing its keys."""
    from tests.web.browser import storefront_in_front_of

    with storefront_in_front_of(stack) as running:
        yield running


@pytest.fixture(scope="session")
def shop_db(stack: Stack) -> sessionmaker:
    """The stack's order DB, to check what the conversations wrote."""
    return make_sessionmaker(make_engine(stack.db_url))


@pytest.fixture
def sender() -> str:
    """A fresh conversation id per test."""
    return f"test-{uuid.uuid4().hex[:12]}"
