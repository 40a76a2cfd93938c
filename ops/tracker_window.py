"""Where a long conversation's tracker may start without changing what it means (issue 13).

Rasa replays, featurizes and ships to the action server every event of the session on
every turn, so a turn costs more the longer the shopper talks (191 ms at turn 10, 521 ms at
turn 150). :class:`ops.tracker_store.EnvSQLTrackerStore` therefore loads a long session as

    pinned events (in their order) + the session's events from a *boundary* on

where the boundary is an ``action_listen`` followed by the shopper's message, with no form
(active loop) running at that point, and the pinned events are real stored events from
before it that carry the state the dropped events left behind:

* each slot's latest ``SlotSet`` (since the latest restart / slot reset), so every slot
  value — and the timestamp of the event that set it — is exact;
* the shopper's message right before each of those ``SlotSet`` events (actions check that a
  proof was given from the client address the shopper still writes from:
  ``actions.identity.proven_slot``);
* the latest ``ConversationPaused`` when the conversation is paused (handoff).

At the boundary ``action_listen`` has cleared any follow-up action and no loop flags exist,
so the tracker Rasa rebuilds has the same slots, loop, pause and latest message, and its last
states (what the policies use: ``max_history`` 5, rules of at most 4 steps) are the same.
What the action server reads is the same too: the whole current turn (``slots_to_validate``,
"already refused this turn"), the latest message and input channel, and each slot's latest
``SlotSet`` with the message before it. That payload is what Rasa's ``RemoteAction`` builds
from this tracker, so it is bounded as well and no subclass of it is needed.

Sessions of at most ``window_events`` events, and ``retrieve_full_tracker`` (the HTTP API's
``GET /conversations/<id>/tracker``, stories, all sessions), are Rasa's own code and unchanged.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

#: Events kept from the boundary on (before the current turn's), by default.
DEFAULT_WINDOW_EVENTS = 80
#: The kept part must hold at least this many actions (states): far more than the policies'
#: max_history (5) and the longest rule (4 steps).
MIN_KEPT_ACTIONS = 12
#: Stored event types whose latest occurrence before the window decides the state there.
STATE_TYPES = ("slot", "active_loop", "restart", "session_started", "reset_slots", "pause", "resume")
RESETS_ALL = ("restart", "session_started")
#: Attribute of a bounded tracker: how many of its events are stored already.
_STORED = "_shop_stored_events"


@dataclass
class StateBefore:
    """The state-bearing events before some point, as (id) per kind: enough to pin them."""

    slots: Dict[str, int] = field(default_factory=dict)  # slot name -> id of its latest SlotSet
    loop: Optional[str] = None  # the active loop's name, None if none
    loop_id: int = -1
    pause_id: Optional[int] = None  # id of the latest ConversationPaused if paused

    @classmethod
    def from_latest(cls, latest: Iterable[Tuple[str, Optional[str], int]]) -> StateBefore:
        """From (type_name, action_name, max id) groups of the events before the window."""
        rows = sorted(latest, key=lambda r: r[2])
        state = cls()
        for type_name, name, event_id in rows:
            state.apply(type_name, name, event_id)
        return state

    def apply(self, type_name: str, name: Optional[str], event_id: int) -> None:
        """Move the state past one stored event (only its type, name and id matter here)."""
        if type_name in RESETS_ALL:
            self.slots.clear()
            self.loop, self.loop_id, self.pause_id = None, event_id, None
        elif type_name == "reset_slots":
            self.slots.clear()
        elif type_name == "slot" and name is not None:
            self.slots[name] = event_id
        elif type_name == "active_loop":
            self.loop, self.loop_id = name, event_id
        elif type_name == "pause":
            self.pause_id = event_id
        elif type_name == "resume":
            self.pause_id = None

    def pinned_ids(self) -> List[int]:
        """Ids of the stored events that restore this state (without the messages before them)."""
        ids = list(self.slots.values())
        if self.pause_id is not None:
            ids.append(self.pause_id)
        return sorted(ids)


@dataclass(frozen=True)
class Row:
    """What the boundary search needs of one stored event."""

    id: int
    type_name: str
    name: Optional[str]  # action, slot or loop name (the store's ``action_name`` column)


def boundary(rows: Sequence[Row], before: StateBefore) -> Optional[Tuple[int, StateBefore]]:
    """The first index of ``rows`` (the window, oldest first) where the tracker may start.

    That is an ``action_listen`` followed by a user message with no loop active, not the
    first row, with at least :data:`MIN_KEPT_ACTIONS` actions from there on; together with
    the state just before it. None if there is no such place (then the whole session loads).
    """
    actions_from = [0] * (len(rows) + 1)
    for i in range(len(rows) - 1, -1, -1):
        actions_from[i] = actions_from[i + 1] + (rows[i].type_name == "action")
    state = before
    for i, row in enumerate(rows[:-1]):
        if actions_from[i] < MIN_KEPT_ACTIONS:
            return None
        starts_turn = (
            i > 0
            and row.type_name == "action"
            and row.name == "action_listen"
            and rows[i + 1].type_name == "user"
        )
        if starts_turn and state.loop is None:
            return i, state
        state.apply(row.type_name, row.name, row.id)
    return None


class BoundedSessionStore(SQLTrackerStore):
    """Rasa's SQL tracker store loading a long session bounded (see the module docstring).

    ``window_events`` (default :data:`DEFAULT_WINDOW_EVENTS`) is read from the store's
    configuration (endpoints.yml) when given there.
    """

    def __init__(self, *args: Any, window_events: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = window_events is None or (isinstance(window_events, str) and not window_events.strip())
        self.window_events = DEFAULT_WINDOW_EVENTS if blank else max(1, int(window_events))

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        loaded = None
        if not fetch_events_from_all_sessions and self.domain is not None:
            with self.session_scope() as session:
                loaded = self._bounded_events(session, sender_id)
        if loaded is None:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        events, bounded = loaded
        if not self.domain or not events:
            return None  # as Rasa: no stored event in this session
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        if bounded or len(tracker.events) == len(events):
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    def _bounded_events(self, session: Any, sender_id: str) -> Optional[Tuple[List[Dict[str, Any]], bool]]:
        """(events, bounded): a short session whole, a long one bounded (pinned + kept events);
        None: load it the usual way (no boundary found).

        A short session's events are the rows of Rasa's own query (``_event_query``, every row,
        in id order), so they are read once, not again by Rasa's ``_retrieve``.
        """
        event = self.SQLEvent
        window = (
            self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            .order_by(None)
            .order_by(event.id.desc())
            .limit(self.window_events + 1)
            .all()
        )
        window.reverse()
        if len(window) <= self.window_events:
            return [json.loads(e.data) for e in window], False
        session_start = self._session_start(session, sender_id)
        columns = session.query(event.type_name, event.action_name, sa.func.max(event.id))
        latest = (
            self._in_session(columns, sender_id, session_start)
            .filter(event.id < window[0].id, event.type_name.in_(STATE_TYPES))
            .group_by(event.type_name, event.action_name)
            .all()
        )
        rows = [Row(e.id, e.type_name, e.action_name) for e in window]
        found = boundary(rows, StateBefore.from_latest(latest))
        if found is None:
            return None
        start, state = found
        pinned = self._pinned(session, sender_id, session_start, state.pinned_ids())
        return [json.loads(e.data) for e in itertools.chain(pinned, window[start:])], True

    def _session_start(self, session: Any, sender_id: str) -> Optional[float]:
        """The latest ``session_started`` timestamp (Rasa's definition of the session)."""
        event = self.SQLEvent
        query = session.query(sa.func.max(event.timestamp))
        return query.filter(event.sender_id == sender_id, event.type_name == "session_started").scalar()

    def _in_session(
        self, query: Any, sender_id: str, session_start: Optional[float], table: Any = None
    ) -> Any:
        table = self.SQLEvent if table is None else table
        query = query.filter(table.sender_id == sender_id)
        if session_start is not None:
            query = query.filter(table.timestamp >= session_start)
        return query

    def _pinned(
        self, session: Any, sender_id: str, session_start: Optional[float], ids: List[int]
    ) -> List[Any]:
        """The events ``ids`` and the shopper's message before each of them, oldest first."""
        if not ids:
            return []
        event, user = self.SQLEvent, sa.orm.aliased(self.SQLEvent)
        before = self._in_session(session.query(sa.func.max(user.id)), sender_id, session_start, user)
        before = before.filter(user.type_name == "user", user.id < event.id)
        pairs = session.query(event.id, before.scalar_subquery()).filter(event.id.in_(ids)).all()
        wanted = set(ids) | {u for _, u in pairs if u is not None}
        return session.query(event).filter(event.id.in_(wanted)).order_by(event.id).all()

    async def create_tracker(self, sender_id: str, append_action_listen: bool = True) -> DialogueStateTracker:
        """Rasa's new tracker (``TrackerStore.create_tracker``: listening, saved), known to have
        no stored event yet, so its first save needs no ``COUNT`` of them either.

        Rasa creates one only when the session has no stored event (``get_or_create_tracker``
        and ``get_or_create_full_tracker``, after a retrieve found none): every conversation's
        first turn saved this way, one query less.
        """
        tracker = self.init_tracker(sender_id)
        if append_action_listen:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        setattr(tracker, _STORED, 0)
        await self.save(tracker)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save; a tracker that counts its stored events then counts the new ones too."""
        await super().save(tracker)
        if hasattr(tracker, _STORED):
            setattr(tracker, _STORED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, _STORED, None)
        if stored is None or stored > len(tracker.events):
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))
