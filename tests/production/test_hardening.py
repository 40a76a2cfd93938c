"""Hardening of the running assistant: API token, body size limit, server-side source."""

from __future__ import annotations

import requests

from harness.cluster import Cluster


def test_http_api_refuses_requests_without_the_token(cluster: Cluster, sender: str) -> None:
    url = cluster.rasa_urls[0]
    calls = [
        ("POST", f"{url}/model/parse", {"json": {"text": "where is my order 104523"}}),
        ("GET", f"{url}/conversations/{sender}/tracker", {}),
        ("POST", f"{url}/conversations/{sender}/messages", {"json": {"text": "hi", "sender": "user"}}),
        ("GET", f"{url}/status", {}),
    ]
    for method, target, kwargs in calls:
        for params in ({}, {"token": "wrong-token"}):
            resp = requests.request(method, target, params=params, timeout=30, **kwargs)
            assert resp.status_code == 401, (method, target, params, resp.status_code)
    ok = requests.post(
        f"{url}/model/parse", params={"token": cluster.token}, json={"text": "hello"}, timeout=30
    )
    assert ok.status_code == 200 and ok.json()["intent"]["name"] == "greet"


def test_huge_request_body_is_refused(cluster: Cluster, sender: str) -> None:
    url = cluster.rasa_urls[1]
    limit = int(cluster.env["SANIC_REQUEST_MAX_SIZE"])
    huge = {"sender": sender, "message": "x" * (limit + 1024)}
    resp = requests.post(f"{url}/webhooks/rest/webhook", json=huge, timeout=30)
    assert resp.status_code == 413
    normal = requests.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": "hello"}, timeout=30
    )
    assert normal.status_code == 200 and normal.json()


def test_message_source_is_set_by_the_server_not_the_client(cluster: Cluster, sender: str) -> None:
    url = cluster.rasa_urls[0]
    body = {"sender": sender, "message": "hello", "metadata": {"source": "203.0.113.66", "page": "/cart"}}
    assert requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=30).status_code == 200
    tracker = requests.get(
        f"{url}/conversations/rest:{sender}/tracker", params={"token": cluster.token}, timeout=30
    ).json()
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user["metadata"]["source"] == "127.0.0.1"
    assert user["metadata"]["page"] == "/cart"
