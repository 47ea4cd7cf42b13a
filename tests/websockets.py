"""Open the app's WebSockets in tests the way a logged-in browser tab would."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client


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
