"""Figures and charts over the ingested conversations, and running an ingestion on demand."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from aiohttp import web

from console import analytics
from console.context import CONSOLE_DB, Route, is_api, render, run_ingest
from console.inputs import number
from console.views.common import dumps

__all__ = ["ROUTES"]


def _days(request: web.Request) -> int:
    return number(request.query.get("days", "30"), 30, 1, 366)


async def analytics_page(request: web.Request) -> web.Response:
    """Containment, fallback rate, CSAT and the charts for the last ``?days=``."""
    figures = await asyncio.to_thread(analytics.summary, request.app[CONSOLE_DB], _days(request))
    return render(request, "analytics.html", {"f": figures, "charts": analytics.charts(figures)})


async def api_analytics(request: web.Request) -> web.Response:
    """The same figures as JSON."""
    figures = await asyncio.to_thread(analytics.summary, request.app[CONSOLE_DB], _days(request))
    return web.json_response(figures, dumps=dumps)


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
