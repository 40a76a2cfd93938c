"""The web apps' own aiohttp, attacked over raw HTTP: body limits hold and bombs stay small.

The storefront runs from ``.venv-web`` (``requirements-web.lock``, built by ``make install``),
not from the assistant's venv, whose aiohttp is Rasa 3.6's pin (3.9.5). On 3.9.5 the three
attacks below get through (docs/production.md, "Dependencies of the web apps"): a multipart
form of many fields each under the limit is read whole (CVE-2025-69228), a 255 KiB deflate
body that the app never reads is inflated to 256 MiB in the server's memory while it is
drained (CVE-2025-69223, GHSA-g3cq-j2xw-wf74), and a Cookie header with invalid names is a
500 with a traceback per request. ``SHOP_WEB_PYTHON=.venv/bin/python`` runs the same tests
against the old interpreter to see them fail.

Each attack is one bounded request to ``python -m web`` on 127.0.0.1 (an anonymous session
cookie first, as any visitor gets one, so the CSRF check reads the body).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.paths import ROOT, require_web_python
from harness.webapps import storefront as storefront_app
from shop.secrets import generate

LOCK = ROOT / "requirements-web.lock"
MAINTAINED = (3, 14, 5)  # the first aiohttp with every advisory in docs/production.md fixed


@dataclass
class Storefront:
    port: int
    pid: int
    sid_cookie: bytes

    def peak_rss_kib(self) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]

    def send(self, head: bytes, body: bytes = b"") -> bytes:
        """One request on its own connection; the whole answer (the server closes it)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as conn:
            try:
                conn.sendall(head + body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # answered and closed before the whole body was sent
            answer = b""
            try:
                while chunk := conn.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass
        return answer

    def post(self, content_type: bytes, body: bytes, extra: bytes = b"") -> int:
        head = (
            b"POST /cart/add HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Cookie: " + self.sid_cookie + b"\r\nContent-Type: " + content_type + b"\r\n" + extra
        )
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        return status_of(self.send(head, body))


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def aiohttp_version(python: Path) -> tuple[int, ...]:
    out = subprocess.run(
        [str(python), "-c", "import aiohttp; print(aiohttp.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return tuple(int(p) for p in out.stdout.strip().split(".")[:3])


@pytest.fixture
def storefront(make_db: Any, tmp_path: Path) -> Iterator[Storefront]:
    python = require_web_python()
    shop = make_db("sqlite", True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOP_", "STOREFRONT_", "AIOHTTP_"))}
    env.update(
        SHOP_ENV="production",
        SHOP_DB_URL=shop.url,
        SHOP_IDENTITY_SECRET=generate(),
        SHOP_COOKIE_SECRET=generate(),
        PYTHONUNBUFFERED="1",
    )
    with storefront_app(env, tmp_path / "storefront.log", str(python)) as app:
        probe = Storefront(app.port, app.pid, b"")
        page = probe.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        cookie = re.search(rb"(?im)^set-cookie: (shop_sid=[^;\r\n]+)", page)
        assert cookie, page[:500]
        yield Storefront(app.port, app.pid, cookie.group(1))


def test_web_lock_pins_a_maintained_aiohttp_not_rasas() -> None:
    lines = [line for line in LOCK.read_text().splitlines() if "==" in line and not line.startswith("#")]
    pins = dict(line.split("==", 1) for line in lines)
    assert tuple(int(p) for p in pins["aiohttp"].split(".")[:3]) >= MAINTAINED
    assert aiohttp_version(require_web_python()) >= MAINTAINED


def test_many_small_multipart_fields_count_against_the_body_limit(storefront: Storefront) -> None:
    boundary = b"b0undary"
    field = b"A" * 60_000  # each field under the storefront's 64 KiB client_max_size
    body = b"".join(
        b'--%s\r\nContent-Disposition: form-data; name="f%d"\r\n\r\n%s\r\n' % (boundary, i, field)
        for i in range(40)
    )
    body += b"--%s--\r\n" % boundary
    assert storefront.post(b"multipart/form-data; boundary=" + boundary, body) == 413


def test_deflate_bomb_is_refused_without_inflating_it(storefront: Storefront) -> None:
    packer = zlib.compressobj(9)
    bomb = b"".join(packer.compress(bytes(1 << 20)) for _ in range(256)) + packer.flush()
    assert len(bomb) < 300_000  # 256 MiB of zeros
    before = storefront.peak_rss_kib()
    status = storefront.post(b"application/x-www-form-urlencoded", bomb, b"Content-Encoding: deflate\r\n")
    grown_mib = (storefront.peak_rss_kib() - before) / 1024
    assert status == 413
    assert grown_mib < 32, f"peak memory grew by {grown_mib:.0f} MiB"


def test_invalid_cookie_names_are_no_server_error(storefront: Storefront) -> None:
    cookies = b"; ".join(b"a,%d=b" % i for i in range(900))
    answer = storefront.send(
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: " + cookies + b"\r\n\r\n"
    )
    assert status_of(answer) == 200
