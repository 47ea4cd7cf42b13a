"""A live socket opens only from a page a form post would be accepted from: this server's own
origin (scheme, host and port) or one in CSRF_TRUSTED_ORIGINS. Others are turned away in the
handshake."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from websockets.exceptions import InvalidStatus

from tests.factories import submit_plan
from tests.processes import Server, log_problems
from tests.websockets import open_real_socket, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def handshake(
    path: str,
    origin: str | None,
    *,
    host: str = "127.0.0.1:8877",
    scheme: str = "ws",
    username: str | None = "alice",
    extra_headers: tuple[tuple[bytes, bytes], ...] = (),
) -> WebsocketCommunicator | None:
    """Open `path` on a server reached as `scheme`://`host`; the open socket, or None if the
    handshake was refused."""
    from orchestration.asgi import application

    async def served_as(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        return await application({**scope, "scheme": scheme}, receive, send)

    headers = [(b"host", host.encode()), *extra_headers]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if username:
        cookie = await database_sync_to_async(session_cookie)(username)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    communicator = WebsocketCommunicator(served_as, path, headers=headers)
    # Not connected: closed before it was accepted, which daphne answers with HTTP 403.
    connected, _ = await communicator.connect()
    return communicator if connected else None


@pytest.fixture
def plan_path(team: Any) -> str:
    return f"/ws/plans/{submit_plan(team).pk}/?after=999999"


async def test_it_lets_in_a_page_of_its_own_origin(plan_path: str) -> None:
    communicator = await handshake(plan_path, "http://127.0.0.1:8877")
    assert communicator is not None
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port
        "https://127.0.0.1",  # another scheme and port
        "https://127.0.0.1:8877",  # another scheme
        "http://127.0.0.1",  # the default port, not this one
        "http://localhost:8877",  # another allowed host is another origin
        "http://evil.example",
        "null",  # a sandboxed frame or a file
    ],
)
async def test_it_refuses_a_page_of_another_origin(plan_path: str, origin: str) -> None:
    assert await handshake(plan_path, origin) is None


async def test_it_refuses_a_host_not_in_allowed_hosts(plan_path: str) -> None:
    assert await handshake(plan_path, "http://evil.example:8877", host="evil.example:8877") is None


async def test_it_takes_wss_for_an_https_page(settings: Any, plan_path: str) -> None:
    settings.ALLOWED_HOSTS = ["plangate.example.com"]
    host = "plangate.example.com"
    # A socket over TLS (wss) comes from an https page.
    assert await handshake(plan_path, f"http://{host}", host=host, scheme="wss") is None
    communicator = await handshake(plan_path, f"https://{host}", host=host, scheme="wss")
    assert communicator is not None
    await communicator.disconnect()


async def test_it_takes_an_https_page_behind_a_proxy_that_says_so(
    settings: Any, plan_path: str
) -> None:
    settings.ALLOWED_HOSTS = ["plangate.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    host, proto = "plangate.example.com", ((b"x-forwarded-proto", b"https"),)
    assert await handshake(plan_path, f"http://{host}", host=host, extra_headers=proto) is None
    communicator = await handshake(plan_path, f"https://{host}", host=host, extra_headers=proto)
    assert communicator is not None
    await communicator.disconnect()


async def test_it_lets_in_a_trusted_origin(settings: Any, plan_path: str) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://plangate.example.com", "https://*.example.org"]
    for origin in ["https://plangate.example.com", "https://review.example.org"]:
        communicator = await handshake(plan_path, origin)
        assert communicator is not None, origin
        await communicator.disconnect()
    for origin in ["http://plangate.example.com", "http://review.example.org"]:
        assert await handshake(plan_path, origin) is None, origin


async def test_it_lets_in_a_client_without_origin_only_with_a_session(plan_path: str) -> None:
    # Browsers always send an Origin; a program that sends none must still be logged in.
    communicator = await handshake(plan_path, None)
    assert communicator is not None
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()

    anonymous = await handshake(plan_path, None, username=None)
    assert anonymous is not None
    assert (await anonymous.receive_output(timeout=2))["code"] == 4401
    await anonymous.disconnect()


async def test_a_running_server_refuses_its_host_on_another_port_or_scheme(
    daphne: Server, reviewer: Any, plan_path: str
) -> None:
    port = daphne.address.rsplit(":", 1)[1]
    for origin in ["http://127.0.0.1:9999", "https://127.0.0.1", f"https://127.0.0.1:{port}"]:
        with pytest.raises(InvalidStatus) as refused:
            await open_real_socket(daphne.address, plan_path, username="alice", origin=origin)
        assert refused.value.response.status_code == 403, origin
    socket = await open_real_socket(daphne.address, plan_path, username="alice")
    await socket.close()
    assert log_problems(daphne.log) == []
