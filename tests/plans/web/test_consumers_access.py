"""Who may open a live-update socket: logged-in members of the plan's team, from our own pages."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.factories import submit_plan
from tests.websockets import open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def close_code(communicator: WebsocketCommunicator) -> int:
    """The code the server closed an accepted socket with at once."""
    connected, _ = await communicator.connect()
    assert connected
    message = await communicator.receive_output(timeout=2)
    assert message["type"] == "websocket.close"
    await communicator.disconnect()
    return int(message["code"])


@pytest.mark.parametrize("path", ["/ws/plans/", "/ws/plans/{id}/"])
async def test_it_refuses_anonymous_visitors(team: Any, path: str) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    communicator = await open_socket(path.format(id=plan.pk))
    assert await close_code(communicator) == 4401


async def test_it_refuses_another_teams_plan(reviewer: Any, team: Any, other_team: Any) -> None:
    theirs = await database_sync_to_async(submit_plan)(other_team)
    communicator = await open_socket(f"/ws/plans/{theirs.pk}/", username="alice")
    assert await close_code(communicator) == 4403


async def test_it_refuses_a_page_from_another_origin(reviewer: Any, team: Any) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    communicator = await open_socket(
        f"/ws/plans/{plan.pk}/", username="alice", origin="http://evil.example"
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_it_lets_a_team_member_in(reviewer: Any, team: Any) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    communicator = await open_socket(f"/ws/plans/{plan.pk}/?after=999999", username="alice")
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()
