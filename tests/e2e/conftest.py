"""One real assistant (action server + Rasa server + seeded SQLite) for the e2e tests."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from shop.db.session import make_engine, make_sessionmaker
from tests.e2e.stack import Stack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def shop_db(stack: Stack) -> sessionmaker:
    """The stack's order DB, to check what the conversations wrote."""
    return make_sessionmaker(make_engine(stack.db_url))


@pytest.fixture
def sender() -> str:
    """A fresh conversation id per test."""
    return f"test-{uuid.uuid4().hex[:12]}"
