from __future__ import annotations

import pytest

from shop.handoff import HandoffNotFound, HandoffService
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
