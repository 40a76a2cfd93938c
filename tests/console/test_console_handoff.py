"""The handoff queue against a fake Rasa HTTP API that records the appended events."""

from __future__ import annotations

from shop.db.session import make_engine, make_sessionmaker
from shop.handoff import HandoffService
from tests.console.conftest import Console


def _service(console: Console) -> HandoffService:
    return HandoffService(make_sessionmaker(make_engine(console.env.shop_url)))


async def test_agent_takes_replies_and_hands_back(console: Console) -> None:
    req = _service(console).request("conv-handoff", "telegram", "I want to talk to a real person")
    token = await console.login("agent")
    queue = await (await console.client.get("/api/handoff")).json()
    assert [(e["kind"], e["sender_id"]) for e in queue["queue"]] == [("request", "conv-handoff")]

    resp = await console.client.post(f"/handoff/{req.id}/take", data={"csrf_token": token})
    assert resp.status == 200 and f"/handoff/{req.id}" in str(resp.url)
    call = console.env.rasa.calls[0]
    assert call["sender"] == "conv-handoff"
    assert call["query"]["output_channel"] == "latest" and call["query"]["execute_side_effects"] == "true"
    assert call["query"]["token"] == "test-token"
    assert call["events"][0] == {"event": "pause"}
    assert (
        call["events"][1]["event"] == "bot"
        and "Sam from our support team has joined" in call["events"][1]["text"]
    )

    resp = await console.client.post(
        f"/handoff/{req.id}/reply", data={"csrf_token": token, "text": "Hi! I'm looking at order 104523 now."}
    )
    assert resp.status == 200
    reply = console.env.rasa.calls[-1]["events"]
    assert reply[0]["event"] == "bot" and reply[0]["text"] == "Hi! I'm looking at order 104523 now."
    assert reply[0]["metadata"] == {"agent": "Sam"}

    # another agent can neither take it again nor write into it
    console.forget()
    other = await console.login("agent2")
    assert (await console.client.post(f"/handoff/{req.id}/take", data={"csrf_token": other})).status == 409
    assert (
        await console.client.post(f"/handoff/{req.id}/reply", data={"csrf_token": other, "text": "x"})
    ).status == 409

    console.forget()
    token = await console.login("agent")
    await console.client.post(f"/handoff/{req.id}/release", data={"csrf_token": token})
    last = console.env.rasa.calls[-1]["events"]
    assert "has left the chat" in last[0]["text"] and last[1] == {"event": "resume"}
    # the bot listens again: without it the shopper's next message matches no rule
    assert last[2] == {"event": "action", "name": "action_listen"}
    assert _service(console).open_requests() == []
    assert (await (await console.client.get("/api/handoff")).json())["queue"] == []


async def test_repeated_fallbacks_join_the_queue_and_can_be_taken(console: Console) -> None:
    token = await console.login("admin")
    await console.client.post("/api/ingest", headers={"X-CSRF-Token": token})
    engine = console.app[__import__("console.app", fromlist=["CONSOLE_DB"]).CONSOLE_DB]
    from sqlalchemy import update

    from console import db
    from console.auth import utcnow

    with engine.begin() as conn:  # the seeded chats are from 2024; make this one recent
        conn.execute(update(db.conversations).values(last_at=utcnow()))
    queue = (await (await console.client.get("/api/handoff")).json())["queue"]
    assert [(e["kind"], e["sender_id"]) for e in queue] == [("fallback", "conv-fallback")]
    resp = await console.client.post(
        "/handoff/fallback/take", data={"csrf_token": token, "sender_id": "conv-fallback"}
    )
    assert resp.status == 200
    assert console.env.rasa.calls[0]["events"][0] == {"event": "pause"}
    taken = (await (await console.client.get("/api/handoff")).json())["queue"]
    assert [(e["kind"], e["status"], e["taken_by"]) for e in taken] == [("request", "taken", "admin")]


async def test_rasa_down_is_reported_not_hidden(console: Console) -> None:
    req = _service(console).request("conv-handoff", "telegram", "help")
    console.env.rasa.status = 500
    token = await console.login("agent")
    resp = await console.client.post(f"/handoff/{req.id}/take", data={"csrf_token": token})
    assert resp.status == 502
