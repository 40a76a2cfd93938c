"""Every URL of the console in one place: the routes of each section, with their permissions.

``console.app`` registers these and checks each request's permission against
:data:`ROUTE_BY_NAME`; the sections' modules (``console.views.*``) import nothing from here.
"""

from __future__ import annotations

from console.context import Route
from console.views import admin, analytics, conversations, handoff, login, nlu, training

__all__ = ["ROUTES", "ROUTE_BY_NAME"]

ROUTES: list[Route] = [
    *login.ROUTES,
    *conversations.ROUTES,
    *nlu.ROUTES,
    *training.ROUTES,
    *handoff.ROUTES,
    *analytics.ROUTES,
    *admin.ROUTES,
]

#: route name -> route; names are unique (the audit log and the permission check use them)
ROUTE_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}
