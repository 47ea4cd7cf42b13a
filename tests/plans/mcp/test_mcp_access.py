"""Who gets in at /mcp: a bearer API token of the JSON API's, from this server's own origin (or
none); everything else is refused before any MCP processing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from plans import services
from tests.processes import Server

pytestmark = pytest.mark.django_db(transaction=True)

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def post(live: Server, **headers: str) -> httpx.Response:
    return httpx.post(
        f"http://{live.address}/mcp", json=INITIALIZE, headers={**ACCEPT, **headers}, timeout=10
    )


def test_it_refuses_a_request_without_a_token(live: Server) -> None:
    answer = post(live)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer ")


def test_it_refuses_an_unknown_or_revoked_token(live: Server, team: Any) -> None:
    token, raw = services.token_create(team=team, name="agent")
    assert post(live, Authorization=f"Bearer {raw}").status_code == 200
    services.token_revoke(token=token)
    assert post(live, Authorization=f"Bearer {raw}").status_code == 401
    assert post(live, Authorization="Bearer pgt_0123456789ab_nothing").status_code == 401


def test_it_refuses_a_foreign_origin(live: Server, raw_token: str) -> None:
    bearer = f"Bearer {raw_token}"
    assert post(live, Authorization=bearer, Origin="https://evil.example").status_code == 403
    own = post(live, Authorization=bearer, Origin=f"http://{live.address}")
    assert own.status_code == 200
    assert post(live, Authorization=bearer, Host="evil.example").status_code == 421


def test_other_paths_still_go_to_django(live: Server) -> None:
    answer = httpx.get(f"http://{live.address}/api/v1/plans", timeout=10)
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Unauthorized"}
