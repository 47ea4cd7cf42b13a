"""Open the app's WebSockets in tests the way a logged-in browser tab would."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect


def session_cookie(username: str) -> str:
    client = Client()
    assert client.login(username=username, password="pw-for-tests")
    return client.cookies["sessionid"].value


async def open_socket(
    path: str, *, username: str | None = None, origin: str = "http://localhost"
) -> WebsocketCommunicator:
    """A communicator for `path` through the full ASGI stack (origin check, session auth)."""
    from orchestration.asgi import application

    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if username:
        cookie = await database_sync_to_async(session_cookie)(username)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def connect(path: str, username: str = "alice") -> WebsocketCommunicator:
    """An accepted socket for `username`."""
    communicator = await open_socket(path, username=username)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def open_real_socket(
    address: str,
    path: str,
    *,
    username: str | None = None,
    cookie: str | None = None,
    origin: str | None = "",
    **kw: Any,
) -> ClientConnection:
    """A socket to a server running in another process (tests.processes.serving), opened as a
    browser would from a page of that server: logged in as `username` (or with the session
    `cookie`), its Origin the server's own address unless `origin` names another (None: no Origin
    header at all)."""
    if username:
        cookie = await database_sync_to_async(session_cookie)(username)
    headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
    if origin == "":
        origin = f"http://{address}"
    return await ws_connect(
        f"ws://{address}{path}",
        origin=origin,
        additional_headers=headers,
        # Pings are the client's own keep-alive; the socket must stay up without them.
        ping_interval=None,
        open_timeout=30,
        **kw,
    )


def require_redis() -> None:
    """Skip, outside CI, a test of the Redis channel layer when no REDIS_URL is set."""
    from django.conf import settings

    from tests.conftest import IN_CI

    if not settings.REDIS_URL:
        if IN_CI:
            pytest.fail("REDIS_URL is not set: the Redis channel layer cannot be tested")
        pytest.skip("needs REDIS_URL: this tests the Redis channel layer")
