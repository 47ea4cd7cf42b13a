"""With Redis as the channel layer, 200 pages opened and closed at once all get their live
updates, leave their groups, and the server logs nothing wrong."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from django.conf import settings

from plans import realtime, selectors
from tests.factories import approve, submit_plan
from tests.processes import ROOT, log_problems, serving
from tests.websockets import open_real_socket, require_redis, session_cookie

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

LOG = ROOT / "test-artifacts" / "live-many-sockets-server.log"
PAGES = 200
WAVE = 10


def group_size(plan_id: Any) -> int:
    """How many sockets the channel layer still counts as watching the plan."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        key = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:group:"
        return int(client.zcard(key + realtime.plan_group(plan_id)))
    finally:
        client.close()


async def test_it_serves_200_pages_opened_and_closed_at_once_without_an_error(
    reviewer: Any, team: Any
) -> None:
    require_redis()
    plan = await database_sync_to_async(submit_plan)(team)
    seen = await database_sync_to_async(selectors.latest_event_id)(plan.pk)
    cookie = await database_sync_to_async(session_cookie)("alice")
    path = f"/ws/plans/{plan.pk}/?after={seen}"
    # The event-log poll is off: only the Redis channel layer can carry the change.
    with serving(log=LOG, PLANGATE_LIVE_POLL_SECONDS="600") as server:
        sockets = []
        # In waves, as pages come: daphne drops a handshake that takes over 5 seconds, and a
        # socket's first reads of the database queue up behind every other socket's.
        for _ in range(PAGES // WAVE):
            sockets += await asyncio.gather(
                *(open_real_socket(server.address, path, cookie=cookie) for _ in range(WAVE))
            )
        assert await database_sync_to_async(group_size)(plan.pk) == PAGES

        await database_sync_to_async(approve)(plan)
        latest = await database_sync_to_async(selectors.latest_event_id)(plan.pk)
        received = await asyncio.gather(
            *(asyncio.wait_for(socket.recv(), timeout=30) for socket in sockets)
        )
        assert [json.loads(text) for text in received] == [
            {"type": "changed", "last_event_id": latest}
        ] * PAGES

        await asyncio.gather(*(socket.close() for socket in sockets))
        assert [socket.close_code for socket in sockets] == [1000] * PAGES
        # Every closed page leaves the plan's group, or the layer would keep sending to it.
        deadline = time.monotonic() + 30
        while await database_sync_to_async(group_size)(plan.pk) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert await database_sync_to_async(group_size)(plan.pk) == 0
    assert log_problems(server.log) == []
