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
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from shop.clock import naive_utc as utc_naive
from shop.config import Settings
from shop.db.models import HandoffRequest
from shop.identity import source_key
from shop.ratelimit import AttemptLimiter, Key, Limit, SqlAttemptLog

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
    """One request as the actions and the console show it; ``created`` when this call opened it."""

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
    """The hand-off queue; requests are bounded by :class:`shop.ratelimit.AttemptLimiter`.

    The requests themselves are the limiter's attempts (rows of ``handoff_requests``).
    """

    def __init__(self, sessionmaker: sessionmaker, settings: Settings | None = None) -> None:
        self._sessions = sessionmaker
        self._settings = settings or Settings.from_env()
        scopes = {"sender": "sender_id", "source": "source_key"}
        self._limiter = AttemptLimiter(SqlAttemptLog(sessionmaker, HandoffRequest, scopes))

    def _keys(self, sender: str, key: str | None) -> list[Key]:
        st = self._settings
        seconds = st.handoff_window_minutes * 60
        keys = [Key("sender", sender, Limit(st.handoff_max_per_conversation, seconds))]
        if key is not None:
            keys.append(Key("source", key, Limit(st.handoff_max_per_source, seconds)))
        return keys

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
        already opened its quota of requests inside the window, and the database's error
        when the queue can't be read or written (fail closed).
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
        # Recorded, then counted: of concurrent requests only those within the quota stay.
        row = {
            "channel": (str(channel or "").strip() or "unknown")[:40],
            "reason": " ".join(str(reason or "")[:1200].split())[:300] or "Not specified",
            "status": "open",
        }
        decision = self._limiter.attempt(self._keys(sender, key), now, row)
        decision.raise_if_unavailable()
        if not decision.allowed:
            assert decision.retry_at is not None
            raise HandoffRateLimited(decision.retry_at)
        with self._sessions.begin() as s:
            return _info(s.get(HandoffRequest, decision.handle), created=True)

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
        """The conversation is back with the bot; closing twice keeps the first close."""
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
