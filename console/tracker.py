"""Rasa's tracker store as the console reads it: the ``events`` table and its timestamps.

Described here rather than imported so the console never loads Rasa core
(see ``rasa.core.tracker_store.SQLTrackerStore`` for the table Rasa writes).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

__all__ = ["tracker_events", "tracker_metadata"]

tracker_metadata = MetaData()

#: One row per event, with an increasing integer id (what ingestion's high-water mark counts).
tracker_events = Table(
    "events",
    tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
