"""Access control, CSRF, sessions, audit, escaping of shoppers' text, email masking."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from console import db
from console.auth import PERMISSIONS, utcnow
from console.routes import ROUTES
from tests.console.conftest import XSS, Console

DUMMY = {"sender_id": "conv-order", "item_id": "1", "request_id": "1", "user_id": "1", "filter_id": "1"}


def _path(template: str) -> str:
    return re.sub(
        r"\{(\w+)(:[^}]*)?\}",
        lambda m: DUMMY[m.group(1)],
        template.replace("{sender_id:[^/]+}", "{sender_id}"),
    )


PROTECTED = [r for r in ROUTES if r.permission is not None]


async def test_every_page_and_api_refused_without_login(console: Console) -> None:
    for route in PROTECTED:
        resp = await console.client.request(route.method, _path(route.path), allow_redirects=False, data={})
        if route.method == "GET" and not route.path.startswith("/api/"):
            assert resp.status == 302 and resp.headers["Location"].startswith("/login"), route.path
        else:
            assert resp.status == 401, route.path


@pytest.mark.parametrize("role_user", ["annie", "agent"])
async def test_every_route_refused_for_the_wrong_role(console: Console, role_user: str) -> None:
    token = await console.login(role_user)
    role = {"annie": "annotator", "agent": "agent"}[role_user]
    checked = 0
    for route in PROTECTED:
        if route.permission == "session" or role in PERMISSIONS[route.permission]:
            continue
        resp = await console.client.request(
            route.method, _path(route.path), data={"csrf_token": token}, allow_redirects=False
        )
        assert resp.status == 403, (route.path, resp.status)
        checked += 1
    assert checked >= 5
    with console.app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB].connect() as conn:
        denied = conn.execute(select(db.audit_log).where(db.audit_log.c.outcome == "denied")).all()
    assert len(denied) == checked


async def test_post_without_or_with_wrong_csrf_token_is_refused(console: Console) -> None:
    await console.client.post("/ingest", data={})
    token = await console.login("admin")
    assert (await console.client.post("/ingest", data={}, allow_redirects=False)).status == 403
    assert (
        await console.client.post("/ingest", data={"csrf_token": "x" + token}, allow_redirects=False)
    ).status == 403
    assert (await console.client.post("/ingest", data={"csrf_token": token})).status == 200
    api = await console.client.post("/api/ingest", headers={"X-CSRF-Token": token})
    assert api.status == 200


async def test_login_needs_its_csrf_token_and_cross_site_posts_are_refused(console: Console) -> None:
    resp = await console.client.post(
        "/login", data={"username": "admin", "password": "correct horse battery"}
    )
    assert resp.status == 403
    token = await console.login("admin")
    resp = await console.client.post(
        "/ingest", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert resp.status == 403


async def test_wrong_password_is_refused_and_audited(console: Console) -> None:
    page = await console.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    resp = await console.client.post(
        "/login", data={"username": "admin", "password": "nope", "csrf_token": token}
    )
    assert resp.status == 401
    assert (await console.client.get("/conversations", allow_redirects=False)).status == 302
    engine = console.app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB]
    with engine.connect() as conn:
        row = conn.execute(select(db.audit_log).where(db.audit_log.c.action == "login")).one()
    assert (row.username, row.outcome) == ("admin", "failed")


async def test_session_cookie_is_httponly_and_expires(console: Console) -> None:
    page = await console.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    resp = await console.client.post(
        "/login",
        data={"username": "annie", "password": "correct horse battery", "csrf_token": token},
        allow_redirects=False,
    )
    cookie = resp.cookies["console_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert (await console.client.get("/conversations")).status == 200
    engine = console.app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB]
    with engine.begin() as conn:
        conn.execute(update(db.sessions).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await console.client.get("/conversations", allow_redirects=False)).status == 302


async def test_logout_ends_the_session(console: Console) -> None:
    token = await console.login("annie")
    await console.client.post("/logout", data={"csrf_token": token})
    assert (await console.client.get("/api/conversations")).status == 401


async def test_shopper_html_and_js_is_rendered_inert(console: Console) -> None:
    token = await console.login("admin")
    await console.client.post("/ingest", data={"csrf_token": token})
    page = await (await console.client.get("/conversations/conv-fallback")).text()
    assert XSS not in page and "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    inbox = await (await console.client.get("/nlu")).text()
    assert "<script>alert" not in inbox and "&lt;script&gt;" in inbox
    resp = await console.client.get("/conversations")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


async def test_emails_masked_for_agents_and_annotators_clear_for_admins(console: Console) -> None:
    token = await console.login("admin")
    await console.client.post("/ingest", data={"csrf_token": token})
    admin_page = await (await console.client.get("/conversations/conv-order")).text()
    assert "alex.morgan@example.com" in admin_page
    for name in ("agent", "annie"):
        console.forget()
        await console.login(name)
        page = await (await console.client.get("/conversations/conv-order")).text()
        assert "alex.morgan@example.com" not in page and "a***@e***.com" in page
        api = await (await console.client.get("/api/conversations/conv-order/events")).text()
        assert "alex.morgan" not in api
        listing = await (await console.client.get("/api/conversations")).text()
        assert "alex.morgan" not in listing


async def test_every_post_is_in_the_audit_log(console: Console) -> None:
    token = await console.login("admin")
    await console.client.post("/ingest", data={"csrf_token": token})
    await console.client.post(
        "/conversations/conv-order/tags", data={"csrf_token": token, "tag": "late-parcel"}
    )
    await console.client.post(
        "/conversations/conv-order/review", data={"csrf_token": token, "status": "reviewed"}
    )
    engine = console.app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB]
    with engine.connect() as conn:
        rows = conn.execute(
            select(db.audit_log.c.action, db.audit_log.c.target, db.audit_log.c.username)
        ).all()
    actions = [r.action for r in rows]
    assert actions[:1] == ["login"]
    assert {"ingest", "conversation.tag", "conversation.review"} <= set(actions)
    assert ("conversation.tag", "sender_id=conv-order", "admin") in [tuple(r) for r in rows]
