"""Administration: console users and their roles, and the audit log."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy import select

from console import db
from console.auth import ROLES, UserExists
from console.context import ACCOUNTS, CONSOLE_DB, Route, current, render
from console.views.common import bad, form, path_id

__all__ = ["AUDIT_PAGE_ROWS", "ROUTES"]

AUDIT_PAGE_ROWS = 300


async def users_page(request: web.Request) -> web.Response:
    """Every user with role and state, and the form to add one."""
    users = await asyncio.to_thread(request.app[ACCOUNTS].list_users)
    return render(request, "users.html", {"users": users, "roles": ROLES})


async def user_create(request: web.Request) -> web.StreamResponse:
    """Add a user (the password policy is ``Accounts.create_user``'s)."""
    posted = await form(request)
    request["audit_detail"] = {"username": posted.get("username", "")[:100], "role": posted.get("role", "")}
    try:
        await asyncio.to_thread(
            request.app[ACCOUNTS].create_user,
            posted.get("username", ""),
            posted.get("password", ""),
            posted.get("role", ""),
            posted.get("display_name") or None,
        )
    except UserExists:
        return bad(request, "That username is taken.", 409)
    except ValueError as exc:
        return bad(request, str(exc))
    raise web.HTTPFound("/admin/users")


async def user_active(request: web.Request) -> web.StreamResponse:
    """Disable or enable a user (never yourself)."""
    posted = await form(request)
    user_id = path_id(request, "user_id")
    if user_id == current(request).user.id:
        return bad(request, "You cannot disable yourself.")
    active = posted.get("active") == "1"
    request["audit_detail"] = {"active": active}
    await asyncio.to_thread(request.app[ACCOUNTS].set_active, user_id, active)
    raise web.HTTPFound("/admin/users")


async def audit_page(request: web.Request) -> web.Response:
    """The newest audit entries."""

    def rows() -> list[dict[str, Any]]:
        a = db.audit_log.c
        newest = select(db.audit_log).order_by(a.id.desc()).limit(AUDIT_PAGE_ROWS)
        with request.app[CONSOLE_DB].connect() as conn:
            return [dict(r._mapping) for r in conn.execute(newest)]

    return render(request, "audit.html", {"rows": await asyncio.to_thread(rows)})


ROUTES: list[Route] = [
    Route("GET", "/admin/users", users_page, "users.manage", "users"),
    Route("POST", "/admin/users", user_create, "users.manage", "user.create"),
    Route("POST", "/admin/users/{user_id:\\d+}/active", user_active, "users.manage", "user.active"),
    Route("GET", "/admin/audit", audit_page, "audit.view", "audit"),
]
