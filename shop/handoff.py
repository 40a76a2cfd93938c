"""The queue of conversations waiting for a person (worked from the review console).

Requests are bounded so a flood can't fill the agents' queue: a conversation with an
active request gets that one back; beyond that a conversation may open
``handoff_max_per_conversation`` and a client address (the channel's ``source``, stored as a
keyed hash) ``handoff_max_per_source`` requests per ``handoff_window_minutes``
(:class:`shop.config.Settings`). A request is recorded before it is counted, so concurrent
requests from rotating conversations are bounded too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from shop.clock import naive_utc as utc_naive
from shop.config import Settings
from shop.db.models import HandoffRequest
from shop.identity import source_key

ACTIVE = ("open", "taken")


class HandoffNotFound(LookupError):
    """No handoff request with that id."""


class HandoffRateLimited(RuntimeError):
    """Too many requests from this conversation or address; a new one may open at ``retry_at``."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"handoff requests paused until {retry_at:%H:%M} UTC")
        self.retry_at = retry_at


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
    def __init__(self, sessionmaker: sessionmaker, settings: Settings | None = None) -> None:
        self._sessions = sessionmaker
        self._settings = settings or Settings.from_env()

    @property
    def _window(self) -> timedelta:
        return timedelta(minutes=self._settings.handoff_window_minutes)

    def request(
        self,
        sender_id: str,
        channel: str,
        reason: str,
        now: datetime | None = None,
        *,
        source: str | None = None,
    ) -> HandoffInfo:
        """Queue the conversation for a person; an active request is returned as is.

        Raises :class:`HandoffRateLimited` when the conversation or its client address
        already opened its quota of requests inside the window.
        """
        sender = str(sender_id or "").strip()[:255]
        if not sender:
            raise ValueError("sender_id is required")
        now = utc_naive(now)
        key = source_key(source, self._settings)
        with self._sessions.begin() as s:
            existing = s.scalars(
                select(HandoffRequest)
                .where(HandoffRequest.sender_id == sender, HandoffRequest.status.in_(ACTIVE))
                .order_by(HandoffRequest.id)
                .limit(1)
            ).first()
            if existing is not None:
                return _info(existing)
            self._refuse_over_limit(s, sender, key, now)
            request_id = int(
                s.execute(
                    insert(HandoffRequest).values(
                        sender_id=sender,
                        channel=(str(channel or "").strip() or "unknown")[:40],
                        reason=" ".join(str(reason or "")[:1200].split())[:300] or "Not specified",
                        status="open",
                        created_at=now,
                        source_key=key,
                    )
                ).inserted_primary_key[0]
            )
        # Counted after it was recorded: of concurrent requests only those within the quota stay.
        refused: HandoffRateLimited | None = None
        with self._sessions.begin() as s:
            try:
                self._refuse_over_limit(s, sender, key, now, up_to_id=request_id)
            except HandoffRateLimited as exc:
                refused = exc
                s.execute(delete(HandoffRequest).where(HandoffRequest.id == request_id))
            else:
                return _info(s.get(HandoffRequest, request_id), created=True)
        raise refused  # after the delete is committed

    def _refuse_over_limit(
        self, s: Session, sender: str, key: str | None, now: datetime, up_to_id: int | None = None
    ) -> None:
        st = self._settings
        counters = [(HandoffRequest.sender_id, sender, st.handoff_max_per_conversation)]
        if key is not None:
            counters.append((HandoffRequest.source_key, key, st.handoff_max_per_source))
        for column, value, limit in counters:
            if limit <= 0:
                continue
            query = select(HandoffRequest.created_at).where(
                column == value, HandoffRequest.created_at > now - self._window
            )
            if up_to_id is not None:
                query = query.where(HandoffRequest.id <= up_to_id)
                allowed = limit  # the new request itself is among them
            else:
                allowed = limit - 1
            times = list(s.scalars(query.order_by(HandoffRequest.created_at.desc()).limit(limit + 1)))
            if len(times) > allowed:
                raise HandoffRateLimited(times[min(limit, len(times)) - 1] + self._window)

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
