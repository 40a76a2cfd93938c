"""Rasa's calls to the action server over kept-alive connections: one HTTP client per event loop.

Rasa 3.6's ``EndpointConfig.request`` builds a new ``aiohttp.ClientSession`` for every custom
action call (``async with self.session()``): a new connector, a new TCP connection (a TLS
handshake too with ``https``), torn down again after the answer; the action server accepts a
new connection per call as well. :class:`PooledEndpointConfig` is the same endpoint (same
URL, token, headers, basic auth, CA file, timeouts, the same errors for the same failures)
whose :meth:`~PooledEndpointConfig.request` reuses one session per event loop, so calls run
over a pool of kept-alive connections.

Rasa reads ``action_endpoint`` from endpoints.yml into a plain ``EndpointConfig`` and hands
it to each ``RemoteAction`` it makes (forms' validation actions included); the action guard
of ops/resilience.py, which wraps every ``RemoteAction.run``, swaps it for its pooled twin
(:func:`pooled`, made once per endpoint) before the call. The REST channel closes the
sessions when the server stops (:func:`attach`).

Idle connections are closed after :data:`KEEPALIVE_SECONDS`, far less than the action server
keeps them (``actions.server.KEEP_ALIVE_SECONDS``, 60 s; Sanic's default would be 5 s): the
client gives up an idle connection first, even when its event loop read the last answer
late, so a call never goes out on a connection the server has just closed.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import Any, Dict, Optional, Tuple

import aiohttp
from aiohttp.client_exceptions import ContentTypeError
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url
from sanic import Blueprint

__all__ = ["KEEPALIVE_SECONDS", "PooledEndpointConfig", "attach", "close_all", "pooled"]

#: Seconds an idle connection to the action server stays open (it keeps them 60 s).
KEEPALIVE_SECONDS = 10.0
#: Original endpoint's id -> (the original, kept alive so the id stays its own; its twin).
_TWINS: Dict[int, Tuple[EndpointConfig, PooledEndpointConfig]] = {}


class PooledEndpointConfig(EndpointConfig):
    """``EndpointConfig`` whose requests share one ``aiohttp`` session per event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sessions: Dict[int, Tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession]] = {}
        self._ssl: Optional[ssl.SSLContext] = None

    @classmethod
    def twin_of(cls, endpoint: EndpointConfig) -> PooledEndpointConfig:
        """A pooled endpoint with every setting of ``endpoint``."""
        twin = cls(
            endpoint.url,
            endpoint.params,
            endpoint.headers,
            endpoint.basic_auth,
            endpoint.token,
            endpoint.token_name,
            endpoint.cafile,
            **endpoint.kwargs,
        )
        twin.type = endpoint.type
        return twin

    def session(self) -> aiohttp.ClientSession:
        """Rasa's session settings (headers, basic auth, total timeout) over a kept-alive pool."""
        auth = None
        if self.basic_auth:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS)
        return aiohttp.ClientSession(
            headers=self.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=connector,
        )

    def _shared_session(self) -> aiohttp.ClientSession:
        """This event loop's session, made on first use (each Sanic worker has its own loop)."""
        loop = asyncio.get_running_loop()
        held = self._sessions.get(id(loop))
        if held is None or held[0] is not loop or held[1].closed:
            held = (loop, self.session())
            self._sessions[id(loop)] = held
        return held[1]

    def _ssl_context(self) -> Optional[ssl.SSLContext]:
        if not self.cafile:
            return None
        if self._ssl is None:
            try:
                self._ssl = ssl.create_default_context(cafile=self.cafile)
            except FileNotFoundError as e:
                raise FileNotFoundException(
                    f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
                ) from e
        return self._ssl

    async def request(
        self,
        method: str = "post",
        subpath: Optional[str] = None,
        content_type: Optional[str] = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Optional[Any]:
        """``EndpointConfig.request`` (same arguments, answer and errors) on the shared session."""
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if "headers" in kwargs:
            headers.update(kwargs.pop("headers"))
        if self.headers:
            headers.update(self.headers)
        url = concat_url(self.url, subpath)  # type: ignore[arg-type]
        sslcontext = self._ssl_context()
        async with self._shared_session().request(
            method,
            url,
            headers=headers,
            params=self.combine_parameters(kwargs),
            compress=compress,
            ssl=sslcontext,
            **kwargs,
        ) as response:
            if response.status >= 400:
                raise ClientResponseError(response.status, response.reason, await response.content.read())
            try:
                return await response.json()
            except ContentTypeError:
                return None

    async def close(self) -> None:
        """Close this event loop's session (the others belong to loops of their own)."""
        held = self._sessions.pop(id(asyncio.get_running_loop()), None)
        if held is not None and not held[1].closed:
            await held[1].close()


def pooled(endpoint: Optional[EndpointConfig]) -> Optional[EndpointConfig]:
    """The pooled twin of ``endpoint``, made once per endpoint object (None stays None)."""
    if endpoint is None or isinstance(endpoint, PooledEndpointConfig):
        return endpoint
    held = _TWINS.get(id(endpoint))
    if held is None or held[0] is not endpoint:
        held = (endpoint, PooledEndpointConfig.twin_of(endpoint))
        _TWINS[id(endpoint)] = held
    return held[1]


async def close_all() -> None:
    """Close the running loop's session of every pooled endpoint."""
    for _original, twin in list(_TWINS.values()):
        await twin.close()


def attach(bp: Blueprint) -> None:
    """Close the pooled sessions when the server stops."""

    @bp.listener("before_server_stop")
    async def _close(app: Any, loop: Any) -> None:
        await close_all()
