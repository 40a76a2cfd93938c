from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest

from shop.db.models import HandoffRequest
from shop.handoff import HandoffNotFound, HandoffRateLimited, HandoffService
from tests.conftest import FIXED_NOW


def test_handoff_request_is_idempotent_per_sender(db):
    service = HandoffService(db.sessions)
    first = service.request("conv-1", "rest", "wants a person", now=FIXED_NOW)
    again = service.request("conv-1", "rest", "still waiting", now=FIXED_NOW)
    assert first.created and not again.created
    assert again.id == first.id and again.reason == "wants a person"
    assert [r.id for r in service.open_requests()] == [first.id]


def test_handoff_take_and_close_then_new_request_opens(db):
    service = HandoffService(db.sessions)
    first = service.request("conv-1", "socketio", "help", now=FIXED_NOW)
    taken = service.take(first.id, "agent-ann")
    assert taken.status == "taken" and taken.taken_by == "agent-ann"
    assert service.open_requests() == []
    assert not service.request("conv-1", "socketio", "help", now=FIXED_NOW).created  # still active
    assert service.close(first.id).status == "closed"
    fresh = service.request("conv-1", "socketio", "again", now=FIXED_NOW)
    assert fresh.created and fresh.id != first.id


def test_handoff_reason_is_capped_and_unknown_ids_raise(db):
    service = HandoffService(db.sessions)
    info = service.request("c" * 20_000, "rest", "x" * 20_000, now=FIXED_NOW)
    assert len(info.reason) == 300 and len(info.sender_id) == 255
    with pytest.raises(HandoffNotFound):
        service.take(999_999, "agent")
    with pytest.raises(HandoffNotFound):
        service.close(999_999)


def _closed(service: HandoffService, sender: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    service.close(service.request(sender, "rest", "help", now=FIXED_NOW, **kwargs).id)


def test_conversation_may_open_only_its_quota_per_window(db, settings):
    service = HandoffService(db.sessions, settings)
    for _ in range(settings.handoff_max_per_conversation):
        _closed(service, "conv-q")
    with pytest.raises(HandoffRateLimited) as refused:
        service.request("conv-q", "rest", "again", now=FIXED_NOW + timedelta(minutes=1))
    assert refused.value.retry_at == FIXED_NOW + timedelta(minutes=settings.handoff_window_minutes)
    later = FIXED_NOW + timedelta(minutes=settings.handoff_window_minutes, seconds=1)
    assert service.request("conv-q", "rest", "next day", now=later).created


def test_one_address_rotating_conversations_is_bounded(db, settings):
    service = HandoffService(db.sessions, settings)
    for i in range(settings.handoff_max_per_source):
        assert service.request(f"flood-{i}", "rest", "help", now=FIXED_NOW, source="203.0.113.5").created
    with pytest.raises(HandoffRateLimited):
        service.request("flood-x", "rest", "help", now=FIXED_NOW, source="203.0.113.5")
    assert service.request("elsewhere", "rest", "help", now=FIXED_NOW, source="203.0.113.6").created
    assert len(service.open_requests()) == settings.handoff_max_per_source + 1


def test_exempt_address_is_not_counted(db, settings):
    settings = replace(settings, handoff_max_per_source=1, lookup_exempt_sources=("127.0.0.1",))
    service = HandoffService(db.sessions, settings)
    assert service.request("ex-1", "rest", "help", now=FIXED_NOW, source="127.0.0.1").created
    assert service.request("ex-2", "rest", "help", now=FIXED_NOW, source="127.0.0.1").created


def test_concurrent_flood_from_one_address_stays_within_quota(db, settings):
    service = HandoffService(db.sessions, settings)

    def ask(i: int) -> bool:
        try:
            return service.request(f"par-{i}", "rest", "help", now=FIXED_NOW, source="198.51.100.9").created
        except HandoffRateLimited:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = sum(pool.map(ask, range(30)))
    assert 0 < created <= settings.handoff_max_per_source
    assert len(service.open_requests()) == created


def test_address_is_stored_only_as_a_keyed_hash(db, settings):
    service = HandoffService(db.sessions, settings)
    info = service.request("hashed", "rest", "help", now=FIXED_NOW, source="10.9.8.7")
    with db.sessions.begin() as s:
        stored = s.get(HandoffRequest, info.id).source_key
    assert stored and "10.9.8.7" not in stored
