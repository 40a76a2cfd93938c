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
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL variants ``postgres`` (``-m "not postgres"`` deselects them by hand)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in callspec.params.values():
            item.add_marker("postgres")


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
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real assistant (action server + Rasa + seeded SQLite), started once per session.

    Shared by tests/e2e, tests/security, tests/channels, tests/console and tests/web: a
    Rasa start-up costs about a minute on 2 cores, so a module starts its own only when it
    must change how the servers run (the fault tests kill them; Telegram polling mode).
    """
    from harness.stack import start_stack

    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        running.stop()


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
