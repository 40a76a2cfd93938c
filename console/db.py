"""The console's own tables, in their own metadata and database (``CONSOLE_DB_URL``).

Schema management: ``ensure_schema`` keeps a one-row ``console_schema`` table with the
version number. An empty database gets ``metadata.create_all`` and the current version; an
older one gets the numbered upgrade steps in ``UPGRADES`` in order; a newer one is refused.
That is the whole migration story the console needs: its tables are derived data plus
review state, so a step may add, never silently drop.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Engine

# One engine factory for every database (SQLite WAL and busy timeout, PostgreSQL timeouts);
# kept importable as ``console.db.make_engine`` for the callers that know it by that name.
from shop.db.session import make_engine as make_engine

SCHEMA_VERSION = 3

metadata = MetaData()

schema_version = Table(
    "console_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

ingest_state = Table(
    "ingest_state",
    metadata,
    Column("source", String(40), primary_key=True),
    Column("last_event_id", Integer, nullable=False, default=0),
    Column("updated_at", DateTime),
)

#: One row per Rasa sender_id, kept up to date by ingestion.
conversations = Table(
    "conversations",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("channel", String(60), nullable=False, default=""),
    Column("started_at", DateTime, nullable=False),
    Column("last_at", DateTime, nullable=False),
    Column("turns", Integer, nullable=False, default=0),
    Column("events", Integer, nullable=False, default=0),
    Column("min_confidence", Float),
    Column("fallback", Boolean, nullable=False, default=False),
    Column("fallback_count", Integer, nullable=False, default=0),
    Column("handoff", Boolean, nullable=False, default=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("last_intent", String(255)),
    Column("last_action", String(255)),
    Column("slots", Text, nullable=False, default="{}"),
    Column("search_text", Text, nullable=False, default=""),
    #: search_text with emails masked as roles without ``emails.clear`` see them (v2)
    Column("search_masked", Text, nullable=False, default=""),
    Column("review_status", String(20), nullable=False, default="unread"),
    #: the conversation's language (``language`` slot, else its messages'; console.languages; v3)
    Column("language", String(8)),
    Index("ix_conv_last_at", "last_at"),
    Index("ix_conv_min_conf", "min_confidence"),
    Index("ix_conv_channel_last", "channel", "last_at"),
    Index("ix_conv_review_last", "review_status", "last_at"),
    Index("ix_conv_fallback_last", "fallback", "last_at"),
    Index("ix_conv_handoff_last", "handoff", "last_at"),
    Index("ix_conv_language_last", "language", "last_at"),
)

#: Searchable facts about a conversation: kind is intent, action, entity, slot ("name=value")
#: or slot_m (the same with emails masked, what roles without ``emails.clear`` search; v2).
facets = Table(
    "conversation_facets",
    metadata,
    Column("sender_id", String(255), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("value", String(255), nullable=False),
    Column("count", Integer, nullable=False, default=1),
    UniqueConstraint("sender_id", "kind", "value", name="uq_facet"),
    Index("ix_facet_lookup", "kind", "value", "sender_id"),
)

tags = Table(
    "conversation_tags",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("tag", String(60), primary_key=True),
    Column("created_by", String(100)),
    Column("created_at", DateTime),
    Index("ix_tag_lookup", "tag", "sender_id"),
)

flags = Table(
    "message_flags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, nullable=False),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("note", String(500), nullable=False, default=""),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("event_id", name="uq_flag_event"),
)

#: User messages that are not in the training data; one row per normalised text.
nlu_inbox = Table(
    "nlu_inbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("norm_text", String(1000), nullable=False, unique=True),
    Column("text", Text, nullable=False),
    Column("event_id", Integer, nullable=False),
    Column("sender_id", String(255), nullable=False),
    Column("seen_at", DateTime, nullable=False),
    Column("seen_count", Integer, nullable=False, default=1),
    Column("predicted_intent", String(255)),
    Column("confidence", Float),
    Column("predicted_entities", Text, nullable=False, default="[]"),
    Column("status", String(20), nullable=False, default="new"),  # new/approved/dismissed/exported
    Column("intent", String(255)),
    Column("entities", Text, nullable=False, default="[]"),
    Column("reviewed_by", String(100)),
    Column("reviewed_at", DateTime),
    #: the message's language, kept through review and export (v3)
    Column("language", String(8)),
    Index("ix_inbox_status_conf", "status", "confidence"),
)

saved_filters = Table(
    "saved_filters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("username", String(100)),
    Column("action", String(60), nullable=False),
    Column("target", String(300), nullable=False, default=""),
    Column("outcome", String(20), nullable=False, default="ok"),
    Column("detail", Text, nullable=False, default=""),
    Column("ip", String(64)),
)

#: Failed logins per client address or username (kind "addr" / "user"), keyed by an HMAC
#: under CONSOLE_SECRET so neither is stored in clear; shared by every console process and
#: pruned once a row's window and lock are over (see ``console.login_limits``; v2).
login_failures = Table(
    "login_failures",
    metadata,
    Column("kind", String(8), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("window_start", DateTime, nullable=False),
    Column("locked_until", DateTime),
    Column("updated_at", DateTime, nullable=False, index=True),
)

csat_ratings = Table(
    "csat_ratings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, nullable=False, unique=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("score", Integer, nullable=False),
    Column("at", DateTime, nullable=False, index=True),
)


def _v1_to_v2(conn: Connection) -> None:
    """Masked search text and slot facets for masked roles; the shared login-failure table."""
    from sqlalchemy import text  # noqa: PLC0415 - only for this step

    from console.privacy import mask_text  # noqa: PLC0415 - privacy imports nothing from here

    conn.execute(text("ALTER TABLE conversations ADD COLUMN search_masked TEXT NOT NULL DEFAULT ''"))
    c = conversations.c
    for row in conn.execute(select(c.sender_id, c.search_text)).all():
        conn.execute(
            conversations.update()
            .where(c.sender_id == row.sender_id)
            .values(search_masked=mask_text(row.search_text or ""))
        )
    f = facets.c
    slot_rows = conn.execute(select(f.sender_id, f.value, f.count).where(f.kind == "slot")).all()
    masked: dict[tuple[str, str], int] = {}
    for row in slot_rows:
        key = (row.sender_id, mask_text(row.value)[:255])
        masked[key] = masked.get(key, 0) + int(row.count)
    if masked:
        conn.execute(
            insert(facets),
            [{"sender_id": s, "kind": "slot_m", "value": v, "count": n} for (s, v), n in masked.items()],
        )
    login_failures.create(conn)


def _v2_to_v3(conn: Connection) -> None:
    """Languages: of each conversation (its slot, else its messages) and of each inbox message."""
    import json  # noqa: PLC0415 - only for this step

    from sqlalchemy import text  # noqa: PLC0415 - only for this step

    from console.languages import SLOT, message_language  # noqa: PLC0415 - imports nothing from here

    conn.execute(text("ALTER TABLE conversations ADD COLUMN language VARCHAR(8)"))
    conn.execute(text("ALTER TABLE nlu_inbox ADD COLUMN language VARCHAR(8)"))
    conn.execute(text("CREATE INDEX ix_conv_language_last ON conversations (language, last_at)"))
    shop = _languages()
    c = conversations.c
    found: dict[str, str] = {}
    for row in conn.execute(select(c.sender_id, c.slots, c.search_text)).all():
        slot = json.loads(row.slots or "{}").get(SLOT)
        language = slot[:8] if isinstance(slot, str) and slot else None
        if language is None:  # the messages' (search_text holds them, lower case, one a line)
            for line in (row.search_text or "").split("\n"):
                language = message_language(line, [], language, shop)
        found[row.sender_id] = language or shop[0]
        conn.execute(
            conversations.update().where(c.sender_id == row.sender_id).values(language=found[row.sender_id])
        )
    n = nlu_inbox.c
    for row in conn.execute(select(n.id, n.text, n.sender_id)).all():
        language = message_language(row.text, [], found.get(row.sender_id), shop)
        conn.execute(nlu_inbox.update().where(n.id == row.id).values(language=language))


def _languages() -> tuple[str, ...]:
    """``SHOP_LANGUAGES``, for the upgrade step (the running console passes its own)."""
    from console.languages import parse_languages  # noqa: PLC0415 - only for an upgrade
    from shop.settings import load  # noqa: PLC0415 - only for an upgrade

    return parse_languages(load().shop_languages)


#: Upgrade steps: UPGRADES[n] takes a version-n database to n+1.
UPGRADES: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3}


class SchemaTooNew(RuntimeError):
    """The console database was written by a newer console."""


def ensure_schema(engine: Engine) -> int:
    """Create or upgrade the console schema; returns the version now in place."""
    with engine.begin() as conn:
        if not inspect(conn).has_table(schema_version.name):
            metadata.create_all(conn)
            conn.execute(insert(schema_version).values(id=1, version=SCHEMA_VERSION))
            return SCHEMA_VERSION
        current = conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1)).scalar_one()
        if current > SCHEMA_VERSION:
            raise SchemaTooNew(f"console DB is at version {current}, this code knows {SCHEMA_VERSION}")
        while current < SCHEMA_VERSION:
            UPGRADES[current](conn)
            current += 1
            conn.execute(schema_version.update().where(schema_version.c.id == 1).values(version=current))
        return current
