"""The queue of conversations waiting for a person (worked from the review console)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from shop.db.models import HandoffRequest
from shop.orders import utc_naive

ACTIVE = ("open", "taken")


class HandoffNotFound(LookupError):
    """No handoff request with that id."""


@dataclass(frozen=True)
class HandoffInfo:
    id: int
    sender_id: str
    channel: str
    reason: str
    status: str
    created_at: datetime
    created: bool
    taken_by: str | None = None


def _info(req: HandoffRequest, created: bool = False) -> HandoffInfo:
    return HandoffInfo(
        req.id, req.sender_id, req.channel, req.reason, req.status, req.created_at, created, req.taken_by
    )


class HandoffService:
    def __init__(self, sessionmaker: sessionmaker) -> None:
        self._sessions = sessionmaker

    def request(self, sender_id: str, channel: str, reason: str, now: datetime | None = None) -> HandoffInfo:
        """Queue the conversation for a person; an active request is returned as is."""
        sender = str(sender_id or "").strip()[:255]
        if not sender:
            raise ValueError("sender_id is required")
        with self._sessions.begin() as s:
            existing = s.scalars(
                select(HandoffRequest)
                .where(HandoffRequest.sender_id == sender, HandoffRequest.status.in_(ACTIVE))
                .order_by(HandoffRequest.id)
                .limit(1)
            ).first()
            if existing is not None:
                return _info(existing)
            req = HandoffRequest(
                sender_id=sender,
                channel=(str(channel or "").strip() or "unknown")[:40],
                reason=" ".join(str(reason or "")[:1200].split())[:300] or "Not specified",
                status="open",
                created_at=utc_naive(now),
            )
            s.add(req)
            s.flush()
            return _info(req, created=True)

    def open_requests(self) -> list[HandoffInfo]:
        """Requests nobody has taken yet, oldest first."""
        with self._sessions.begin() as s:
            rows = s.scalars(
                select(HandoffRequest)
                .where(HandoffRequest.status == "open")
                .order_by(HandoffRequest.created_at, HandoffRequest.id)
            )
            return [_info(r) for r in rows]

    def take(self, request_id: int, agent: str) -> HandoffInfo:
        """An agent claims an open request; a request already taken keeps its agent."""
        with self._sessions.begin() as s:
            s.execute(
                update(HandoffRequest)
                .where(HandoffRequest.id == request_id, HandoffRequest.status == "open")
                .values(status="taken", taken_by=str(agent)[:100])
                .execution_options(synchronize_session=False)
            )
            return self._get(s, request_id)

    def close(self, request_id: int, now: datetime | None = None) -> HandoffInfo:
        with self._sessions.begin() as s:
            s.execute(
                update(HandoffRequest)
                .where(HandoffRequest.id == request_id, HandoffRequest.status != "closed")
                .values(status="closed", closed_at=utc_naive(now))
                .execution_options(synchronize_session=False)
            )
            return self._get(s, request_id)

    @staticmethod
    def _get(s, request_id: int) -> HandoffInfo:  # type: ignore[no-untyped-def]
        req = s.get(HandoffRequest, request_id)
        if req is None:
            raise HandoffNotFound(request_id)
        return _info(req)
