"""With Redis as the channel layer, a page left open keeps its live socket: a minute later it
still hears of a change, and the server logs nothing wrong meanwhile."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from websockets.exceptions import ConnectionClosed

from plans import selectors
from tests.factories import approve, submit_plan
from tests.processes import ROOT, log_problems, serving
from tests.websockets import open_real_socket, require_redis

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

LOG = ROOT / "test-artifacts" / "live-idle-socket-server.log"


async def test_it_keeps_an_idle_page_socket_open_and_delivers_a_change_a_minute_later(
    reviewer: Any, team: Any
) -> None:
    require_redis()
    plan = await database_sync_to_async(submit_plan)(team)
    seen = await database_sync_to_async(selectors.latest_event_id)(plan.pk)
    # The event-log poll is off: only the Redis channel layer can carry the change.
    with serving(log=LOG, PLANGATE_LIVE_POLL_SECONDS="600") as server:
        socket = await open_real_socket(
            server.address, f"/ws/plans/{plan.pk}/?after={seen}", username="alice"
        )
        try:
            await asyncio.wait_for(socket.recv(), timeout=60)
        except TimeoutError:
            pass  # a minute of silence, the socket still open: what an idle page should get
        except ConnectionClosed as closed:
            pytest.fail(f"the server closed an idle page's socket: {closed}")
        else:
            pytest.fail("an idle page was told of a change that did not happen")

        await database_sync_to_async(approve)(plan)
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        latest = await database_sync_to_async(selectors.latest_event_id)(plan.pk)
        assert message == {"type": "changed", "last_event_id": latest}
        await socket.close()
        assert socket.close_code == 1000
    assert log_problems(server.log) == []
