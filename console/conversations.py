"""The conversation list (filters, sort, paging), saved filters, tags, flags, review status,
and transcripts read straight from the tracker store."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from console import db
from console.carousel import cards
from console.inputs import clean, number
from console.privacy import mask_value
from console.tracker import tracker_events
from shop.clock import format_datetime, from_timestamp, naive_utc, parse_date

REVIEW_STATUSES = ("unread", "reviewed", "saved")
SORTS = ("date", "confidence")
TRANSCRIPT_MAX_EVENTS = 3000


class NotFound(LookupError):
    """No such conversation."""


def _float(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _yesno(raw: str) -> bool | None:
    return {"yes": True, "no": False}.get(raw)


@dataclass(frozen=True)
class ConversationFilter:
    """Query-string filters; unknown or malformed values are ignored rather than refused."""

    date_from: str = ""
    date_to: str = ""
    channel: str = ""
    #: a language code (``zh``): the conversation's language, see console.languages
    language: str = ""
    intent: str = ""
    action: str = ""
    entity: str = ""
    slot: str = ""
    min_conf: str = ""
    max_conf: str = ""
    fallback: str = ""
    handoff: str = ""
    tag: str = ""
    review: str = ""
    q: str = ""
    sort: str = "date"
    page: int = 1

    @classmethod
    def from_query(cls, query: Any) -> ConversationFilter:
        """The filter from a query string or form; bad values are dropped, never refused."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = clean(str(query.get(f.name, "") or "")).strip()[:200]
            if f.name == "page":
                values["page"] = number(raw, 1, 1, 100_000)
            elif raw:
                values[f.name] = raw
        if values.get("sort") not in SORTS:
            values["sort"] = "date"
        return cls(**values)

    def query_string(self, **override: Any) -> str:
        """This filter as a canonical query string (only the set fields)."""
        data = {**asdict(self), **override}
        data = {k: v for k, v in data.items() if v not in ("", None) and not (k == "page" and v == 1)}
        if data.get("sort") == "date":
            data.pop("sort")
        return urlencode(sorted(data.items()))

    def statement(self, masked: bool = True) -> Select:
        """The query for this filter. ``masked`` (the default, for roles without
        ``emails.clear``): free text and slot values are matched against what those roles are
        shown (emails masked), never the clear values, so typing an address finds nothing."""
        c = db.conversations.c
        slot_kind = "slot_m" if masked else "slot"
        stmt = select(db.conversations)
        conds = []
        start, end = parse_date(self.date_from), parse_date(self.date_to)
        if start:
            conds.append(c.last_at >= datetime.combine(start, datetime.min.time()))
        if end:
            conds.append(c.started_at < datetime.combine(end + timedelta(days=1), datetime.min.time()))
        if self.channel:
            conds.append(c.channel == self.channel)
        if self.language:
            conds.append(c.language == self.language)
        for kind, value in (("intent", self.intent), ("action", self.action), ("entity", self.entity)):
            if value:
                conds.append(c.sender_id.in_(_facet(kind, value)))
        if self.slot:
            f = db.facets.c
            if "=" in self.slot:
                conds.append(c.sender_id.in_(_facet(slot_kind, self.slot)))
            else:
                conds.append(
                    c.sender_id.in_(
                        select(f.sender_id).where(
                            f.kind == slot_kind, f.value.like(_like_prefix(self.slot + "="), escape="\\")
                        )
                    )
                )
        lo, hi = _float(self.min_conf), _float(self.max_conf)
        if lo is not None:
            conds.append(c.min_confidence >= lo)
        if hi is not None:
            conds.append(c.min_confidence <= hi)
        for column, raw in ((c.fallback, self.fallback), (c.handoff, self.handoff)):
            flag = _yesno(raw)
            if flag is not None:
                conds.append(column == flag)
        if self.tag:
            conds.append(c.sender_id.in_(select(db.tags.c.sender_id).where(db.tags.c.tag == self.tag)))
        if self.review in REVIEW_STATUSES:
            conds.append(c.review_status == self.review)
        if self.q:
            needle = "%" + _escape_like(self.q.lower()) + "%"
            if masked:
                # sender ids are shown as they are; one holding an address is not searchable
                conds.append(
                    or_(
                        c.search_masked.like(needle, escape="\\"),
                        and_(c.sender_id.like(needle, escape="\\"), c.sender_id.not_like("%@%")),
                    )
                )
            else:
                conds.append(
                    or_(c.search_text.like(needle, escape="\\"), c.sender_id.like(needle, escape="\\"))
                )
        if conds:
            stmt = stmt.where(and_(*conds))
        if self.sort == "confidence":
            stmt = stmt.order_by(c.min_confidence.is_(None), c.min_confidence, c.last_at.desc())
        else:
            stmt = stmt.order_by(c.last_at.desc(), c.sender_id)
        return stmt


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_prefix(text: str) -> str:
    return _escape_like(text) + "%"


def _facet(kind: str, value: str) -> Select:
    f = db.facets.c
    return select(f.sender_id).where(f.kind == kind, f.value == value)


def list_conversations(
    engine: Engine, flt: ConversationFilter, page_size: int = 50, masked: bool = True
) -> tuple[list[dict[str, Any]], bool]:
    """One page of conversations and whether there is a next page (no COUNT(*) over the table).

    ``masked``: searched as a role that sees emails masked (see ``ConversationFilter.statement``).
    """
    stmt = flt.statement(masked).limit(page_size + 1).offset((flt.page - 1) * page_size)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
        more = len(rows) > page_size
        rows = rows[:page_size]
        senders = [r["sender_id"] for r in rows]
        tag_map: dict[str, list[str]] = {s: [] for s in senders}
        if senders:
            for t in conn.execute(
                select(db.tags.c.sender_id, db.tags.c.tag)
                .where(db.tags.c.sender_id.in_(senders))
                .order_by(db.tags.c.tag)
            ):
                tag_map[t.sender_id].append(t.tag)
    for r in rows:
        r.pop("search_text", None)
        r.pop("search_masked", None)
        r["slots"] = json.loads(r["slots"] or "{}")
        r["tags"] = tag_map.get(r["sender_id"], [])
    return rows, more


def facet_values(engine: Engine, kind: str, limit: int = 200) -> list[str]:
    """Distinct values of one facet kind, for the filter form's suggestions."""
    f = db.facets.c
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(f.value).where(f.kind == kind).group_by(f.value).order_by(f.value).limit(limit)
            )
            .scalars()
            .all()
        )


def channels(engine: Engine) -> list[str]:
    """The channels conversations came from, for the filter's choices."""
    c = db.conversations.c
    with engine.connect() as conn:
        return [
            v for v in conn.execute(select(c.channel).group_by(c.channel).order_by(c.channel)).scalars() if v
        ]


def languages(engine: Engine, offered: tuple[str, ...] = ()) -> list[str]:
    """The languages to filter by: the shop's (``offered``, in order), then any other recorded."""
    c = db.conversations.c
    with engine.connect() as conn:
        found = [
            v
            for v in conn.execute(select(c.language).group_by(c.language).order_by(c.language)).scalars()
            if v
        ]
    return list(offered) + [v for v in found if v not in offered]


def get_summary(engine: Engine, sender_id: str) -> dict[str, Any]:
    """A conversation's summary with its tags and flags (``NotFound`` if unknown)."""
    with engine.connect() as conn:
        row = conn.execute(select(db.conversations).where(db.conversations.c.sender_id == sender_id)).first()
        if row is None:
            raise NotFound(sender_id)
        out = dict(row._mapping)
        out.pop("search_text", None)
        out.pop("search_masked", None)
        out["slots"] = json.loads(out["slots"] or "{}")
        out["tags"] = list(
            conn.execute(
                select(db.tags.c.tag).where(db.tags.c.sender_id == sender_id).order_by(db.tags.c.tag)
            ).scalars()
        )
        out["flags"] = {
            r.event_id: r.note
            for r in conn.execute(select(db.flags).where(db.flags.c.sender_id == sender_id))
        }
    return out


def set_review(engine: Engine, sender_id: str, status: str) -> None:
    """Set the review status (``ValueError`` for one not in ``REVIEW_STATUSES``)."""
    if status not in REVIEW_STATUSES:
        raise ValueError(status)
    with engine.begin() as conn:
        done = conn.execute(
            update(db.conversations)
            .where(db.conversations.c.sender_id == sender_id)
            .values(review_status=status)
        ).rowcount
    if not done:
        raise NotFound(sender_id)


def clean_tag(raw: str) -> str:
    """A tag as stored: lower case, dashes for spaces; ``ValueError`` for other signs."""
    tag = "-".join(raw.strip().lower().split())[:60]
    if not tag or not all(ch.isalnum() or ch in "-_" for ch in tag):
        raise ValueError("a tag is letters, digits, - and _")
    return tag


def add_tag(engine: Engine, sender_id: str, tag: str, user: str) -> None:
    """Tag a known conversation (tagging twice is harmless)."""
    get_summary(engine, sender_id)
    with engine.begin() as conn:
        exists = conn.execute(
            select(db.tags.c.tag).where(db.tags.c.sender_id == sender_id, db.tags.c.tag == tag)
        ).first()
        if not exists:
            conn.execute(
                insert(db.tags).values(sender_id=sender_id, tag=tag, created_by=user, created_at=naive_utc())
            )


def remove_tag(engine: Engine, sender_id: str, tag: str) -> None:
    """Remove a tag (removing one that is not there is harmless)."""
    with engine.begin() as conn:
        conn.execute(delete(db.tags).where(db.tags.c.sender_id == sender_id, db.tags.c.tag == tag))


def all_tags(engine: Engine) -> list[str]:
    """Every tag in use, for the filter's choices."""
    with engine.connect() as conn:
        return list(
            conn.execute(select(db.tags.c.tag).group_by(db.tags.c.tag).order_by(db.tags.c.tag)).scalars()
        )


def toggle_flag(engine: Engine, sender_id: str, event_id: int, note: str, user: str) -> bool:
    """Flag a message (or unflag it if flagged); returns whether it is flagged now."""
    with engine.begin() as conn:
        existing = conn.execute(select(db.flags.c.id).where(db.flags.c.event_id == event_id)).first()
        if existing:
            conn.execute(delete(db.flags).where(db.flags.c.event_id == event_id))
            return False
        conn.execute(
            insert(db.flags).values(
                event_id=event_id,
                sender_id=sender_id,
                note=note[:500],
                created_by=user,
                created_at=naive_utc(),
            )
        )
        return True


def saved_filters_for(engine: Engine, user_id: int) -> list[dict[str, Any]]:
    """The user's saved filters, by name."""
    s = db.saved_filters.c
    with engine.connect() as conn:
        rows = conn.execute(select(s.id, s.name, s.query).where(s.user_id == user_id).order_by(s.name))
        return [dict(r._mapping) for r in rows]


def save_filter(engine: Engine, user_id: int, name: str, flt: ConversationFilter) -> None:
    """Save ``flt`` under ``name`` for the user (``ValueError`` without a name)."""
    name = " ".join(name.split())[:100]
    if not name:
        raise ValueError("a saved filter needs a name")
    with engine.begin() as conn:
        conn.execute(
            insert(db.saved_filters).values(
                user_id=user_id, name=name, query=flt.query_string(page=1), created_at=naive_utc()
            )
        )


def delete_filter(engine: Engine, user_id: int, filter_id: int) -> None:
    """Delete a saved filter, only if it is the user's own."""
    s = db.saved_filters.c
    with engine.begin() as conn:
        conn.execute(delete(db.saved_filters).where(s.id == filter_id, s.user_id == user_id))


def tracker_rows(tracker: Engine, sender_id: str, after_id: int = 0) -> list[Any]:
    """The conversation's raw tracker events after ``after_id`` (at most ``TRANSCRIPT_MAX_EVENTS``)."""
    e = tracker_events.c
    with tracker.connect() as conn:
        return list(
            conn.execute(
                select(e.id, e.type_name, e.timestamp, e.data)
                .where(e.sender_id == sender_id, e.id > after_id)
                .order_by(e.id)
                .limit(TRANSCRIPT_MAX_EVENTS)
            )
        )


def transcript(
    tracker: Engine, sender_id: str, mask: bool, after_id: int = 0, storefront_url: str = ""
) -> list[dict[str, Any]]:
    """The conversation as display items, emails masked when ``mask``.

    A bot's product carousel becomes ``cards`` linking to the storefront at ``storefront_url``.
    """
    items = []
    for row in tracker_rows(tracker, sender_id, after_id):
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            data = {}
        item = _item(row, data, storefront_url)
        if item is not None:
            items.append(mask_value(item) if mask else item)
    return items


def _item(row: Any, data: dict[str, Any], storefront_url: str) -> dict[str, Any] | None:
    base = {"id": int(row.id), "type": row.type_name, "at": format_datetime(from_timestamp(row.timestamp))}
    kind = row.type_name
    if kind == "user":
        parse = data.get("parse_data") or {}
        intent = parse.get("intent") or {}
        return {
            **base,
            "text": str(data.get("text") or ""),
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "entities": [
                {"entity": e.get("entity"), "value": e.get("value"), "extractor": e.get("extractor")}
                for e in parse.get("entities") or []
            ],
            "channel": data.get("input_channel") or "",
        }
    if kind == "bot":
        bot_data = data.get("data") or {}
        buttons = [str(b.get("title", "")) for b in bot_data.get("buttons") or [] if isinstance(b, dict)]
        custom = bot_data.get("custom")
        shown = cards(custom, storefront_url)
        agent = (data.get("metadata") or {}).get("agent")
        return {
            **base,
            "text": str(data.get("text") or ""),
            "buttons": buttons,
            "cards": shown,
            "custom": json.dumps(custom)[:500] if custom and not shown else "",
            "agent": str(agent) if agent else "",
        }
    if kind == "action":
        name = data.get("name")
        if name == "action_listen":
            return None
        return {**base, "name": name, "policy": data.get("policy"), "confidence": data.get("confidence")}
    if kind == "slot":
        return {**base, "name": data.get("name"), "value": json.dumps(data.get("value"), default=str)}
    if kind in ("pause", "resume", "session_started", "restart", "active_loop", "followup"):
        return {**base, "name": data.get("name") or ""}
    return None
