"""A live Plangate for the MCP tests (daphne in a child process, as in production) and an MCP
client session on it, made with the SDK's own client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from plans import services
from plans.models import Scope
from tests.processes import ROOT, Server, serving


@pytest.fixture(scope="module")
def live(request: pytest.FixtureRequest, django_db_setup: Any) -> Iterator[Server]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    with serving(log=ROOT / "test-artifacts" / f"{name}-server.log") as server:
        yield server


@pytest.fixture
def mcp_url(live: Server) -> str:
    return f"http://{live.address}/mcp"


@pytest.fixture
def raw_token(team: Any) -> str:
    _, raw = services.token_create(team=team, name="agent", scopes=[Scope.SUBMIT, Scope.READ])
    return raw


@asynccontextmanager
async def mcp_session(url: str, token: str, **headers: str) -> AsyncIterator[ClientSession]:
    """An initialized MCP session on `url` with `token` as its bearer token."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}", **headers})
    async with (
        http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session
