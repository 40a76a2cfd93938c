"""Figures and charts over the ingested conversations, and running an ingestion on demand."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from aiohttp import web

from console import analytics
from console.context import CONSOLE_DB, SETTINGS, Route, is_api, render, run_ingest
from console.inputs import number
from console.languages import code_or_blank
from console.views.common import dumps

__all__ = ["ROUTES"]


def _days(request: web.Request) -> int:
    return number(request.query.get("days", "30"), 30, 1, 366)


async def _figures(request: web.Request) -> dict[str, Any]:
    engine = request.app[CONSOLE_DB]
    language = code_or_blank(request.query.get("language", ""))
    return await asyncio.to_thread(analytics.summary, engine, _days(request), None, language)


async def analytics_page(request: web.Request) -> web.Response:
    """Containment, fallback rate, CSAT and the charts for the last ``?days=`` (``?language=``)."""
    figures = await _figures(request)
    offered = request.app[SETTINGS].languages
    choices = list(offered) + [r["language"] for r in figures["by_language"] if r["language"] not in offered]
    context = {"f": figures, "charts": analytics.charts(figures), "languages": [c for c in choices if c]}
    return render(request, "analytics.html", context)


async def api_analytics(request: web.Request) -> web.Response:
    """The same figures as JSON."""
    return web.json_response(await _figures(request), dumps=dumps)


async def ingest_post(request: web.Request) -> web.StreamResponse:
    """Read new tracker events now instead of waiting for the timer."""
    result = await run_ingest(request.app)
    request["audit_detail"] = asdict(result)
    if is_api(request):
        return web.json_response(asdict(result))
    return render(
        request,
        "done.html",
        {
            "message": f"Read {result.events} new events ({result.conversations} conversations, "
            f"{result.inbox_added} new inbox messages).",
            "back": "/conversations",
        },
    )


ROUTES: list[Route] = [
    Route("GET", "/analytics", analytics_page, "analytics.view", "analytics"),
    Route("POST", "/ingest", ingest_post, "ingest.run", "ingest"),
    Route("GET", "/api/analytics", api_analytics, "analytics.view", "api.analytics"),
    Route("POST", "/api/ingest", ingest_post, "ingest.run", "api.ingest"),
]
