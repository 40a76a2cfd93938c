"""Figures over the summary tables, and bar-chart geometry for the server-rendered SVGs.

Every figure can be limited to one language (the conversation's, console.languages), and the
conversations, containment and fallback rate are also given per language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.engine import Engine

from console import db
from console.languages import label


@dataclass(frozen=True)
class Bar:
    """One bar of a chart, already laid out (the template only draws it)."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    """A bar chart laid out in a fixed viewBox; the template only draws what is here."""

    title: str
    bars: list[Bar]
    width: int
    height: int
    horizontal: bool


def bar_chart(
    title: str, items: list[tuple[str, float]], horizontal: bool = False, fmt: str = "{:g}"
) -> Chart:
    """Lay out ``items`` (label, value) as bars scaled to the largest value."""
    peak = max((v for _, v in items), default=0) or 1
    if horizontal:
        row, label_w, width = 22, 190, 560
        bars = [
            Bar(
                label_w, i * row + 4, max((width - label_w - 60) * v / peak, 1), row - 8, label, fmt.format(v)
            )
            for i, (label, v) in enumerate(items)
        ]
        return Chart(title, bars, width, max(len(items), 1) * row + 8, True)
    width, height, base = 560, 180, 150
    step = (width - 20) / max(len(items), 1)
    bars = [
        Bar(
            10 + i * step + step * 0.1,
            base - (base - 20) * v / peak,
            max(step * 0.8, 1),
            (base - 20) * v / peak,
            label,
            fmt.format(v),
        )
        for i, (label, v) in enumerate(items)
    ]
    return Chart(title, bars, width, height, False)


def _window(days: int, today: date | None = None) -> tuple[datetime, datetime]:
    end = today or datetime.utcnow().date()
    start = end - timedelta(days=days - 1)
    return datetime.combine(start, datetime.min.time()), datetime.combine(
        end + timedelta(days=1), datetime.min.time()
    )


def summary(engine: Engine, days: int = 30, today: date | None = None, language: str = "") -> dict[str, Any]:
    """Conversations, containment, fallback rate and CSAT over the last ``days`` days.

    ``language`` (a code) limits every figure to that language's conversations, except
    ``by_language``, which always counts each language in the window.
    """
    start, end = _window(days, today)
    c = db.conversations.c
    dated = and_(c.started_at >= start, c.started_at < end)
    in_window = and_(dated, c.language == language) if language else dated
    with engine.connect() as conn:
        total, handoffs, fallbacks = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(cast(c.handoff, Integer)), 0),
                func.coalesce(func.sum(cast(c.fallback, Integer)), 0),
            ).where(in_window)
        ).one()
        per_day_rows = dict(
            conn.execute(
                select(func.date(c.started_at), func.count())
                .where(in_window)
                .group_by(func.date(c.started_at))
            ).all()
        )
        f = db.facets.c
        top_intents = conn.execute(
            select(f.value, func.count())
            .join_from(db.facets, db.conversations, f.sender_id == c.sender_id)
            .where(f.kind == "intent", in_window)
            .group_by(f.value)
            .order_by(func.count().desc(), f.value)
            .limit(10)
        ).all()
        ends = conn.execute(
            select(func.coalesce(c.last_action, "(none)"), func.count())
            .where(in_window)
            .group_by(c.last_action)
            .order_by(func.count().desc(), c.last_action)
            .limit(10)
        ).all()
        r = db.csat_ratings.c
        rated = select(r.score, func.count()).where(r.at >= start, r.at < end)
        if language:
            rated = rated.join_from(db.csat_ratings, db.conversations, r.sender_id == c.sender_id).where(
                c.language == language
            )
        csat_rows = dict(conn.execute(rated.group_by(r.score)).all())
        per_language = conn.execute(
            select(
                func.coalesce(c.language, ""),
                func.count(),
                func.coalesce(func.sum(cast(c.handoff, Integer)), 0),
                func.coalesce(func.sum(cast(c.fallback, Integer)), 0),
            )
            .where(dated)
            .group_by(c.language)
            .order_by(func.count().desc(), c.language)
        ).all()
    per_day = []
    day = start.date()
    while day < end.date():
        per_day.append((day.isoformat(), int(per_day_rows.get(day.isoformat(), per_day_rows.get(day, 0)))))
        day += timedelta(days=1)
    ratings = sum(csat_rows.values())
    csat_avg = sum(k * v for k, v in csat_rows.items()) / ratings if ratings else None
    total = int(total)
    return {
        "days": days,
        "language": language,
        "total": total,
        "containment": (1 - int(handoffs) / total) if total else None,
        "fallback_rate": int(fallbacks) / total if total else None,
        "per_day": per_day,
        "top_intents": [(str(k), int(v)) for k, v in top_intents],
        "ends": [(str(k), int(v)) for k, v in ends],
        "csat_avg": csat_avg,
        "csat_count": ratings,
        "csat": [(str(s), int(csat_rows.get(s, 0))) for s in range(1, 6)],
        "by_language": [_language_row(*row) for row in per_language],
    }


def _language_row(code: str, total: int, handoffs: int, fallbacks: int) -> dict[str, Any]:
    total = int(total)
    return {
        "language": str(code),
        "conversations": total,
        "containment": 1 - int(handoffs) / total if total else None,
        "fallback_rate": int(fallbacks) / total if total else None,
    }


def charts(figures: dict[str, Any]) -> list[Chart]:
    """The analytics page's charts, from :func:`summary`'s figures."""
    return [
        bar_chart("Conversations per day", [(d[5:], float(n)) for d, n in figures["per_day"]]),
        bar_chart(
            "Conversations by language",
            [
                (label(r["language"]) or "(unknown)", float(r["conversations"]))
                for r in figures["by_language"]
            ],
            True,
        ),
        bar_chart(
            "Fallback rate by language (%)",
            [
                (label(r["language"]) or "(unknown)", 100 * (r["fallback_rate"] or 0.0))
                for r in figures["by_language"]
            ],
            True,
            "{:.1f}",
        ),
        bar_chart("Top intents (conversations)", [(k, float(v)) for k, v in figures["top_intents"]], True),
        bar_chart("Where conversations end (last action)", [(k, float(v)) for k, v in figures["ends"]], True),
        bar_chart("CSAT ratings (1-5)", [(k, float(v)) for k, v in figures["csat"]]),
    ]
