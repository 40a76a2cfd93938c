"""Production checks: real PostgreSQL, Redis, action server and Rasa replicas on loopback.

The cluster (PG tracker store + Redis lock store and lookup limits + an action server of two
processes + two Rasa replicas) is started once per session and shared by the scale-out and
hardening tests.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Iterable

import pytest

from harness.cluster import Cluster, start_cluster
from harness.scaleout import LOAD_TEST_ENV

EMAIL = re.compile(rb"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
# Addresses that may legitimately appear in logs (none are shoppers').
ALLOWED_EMAILS = {b"support@example.com"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "production: starts real PostgreSQL/Redis/Rasa processes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/production" in str(item.fspath) and "docker_files" not in str(item.fspath):
            item.add_marker("production")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = start_cluster(
        tmp_path_factory.mktemp("cluster"), replicas=2, extra_env=LOAD_TEST_ENV, action_processes=2
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sender() -> str:
    return f"prod-{uuid.uuid4().hex[:12]}"


def emails_in(paths: Iterable[Path]) -> dict[str, set[bytes]]:
    """Email addresses found in log files, by file name (allowed ones excluded)."""
    found: dict[str, set[bytes]] = {}
    for path in paths:
        hits = set(EMAIL.findall(path.read_bytes())) - ALLOWED_EMAILS
        if hits:
            found[path.name] = hits
    return found
