"""What an open page is told: "changed" after a commit, at once when it is behind, coalesced."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from plans import realtime, selectors, services
from plans.web.consumers import PlanConsumer
from tests.factories import submit_plan
from tests.websockets import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def slow_poll(settings: Any) -> None:
    # Only the channel layer announces changes here, unless a test polls on purpose.
    settings.PLANGATE_LIVE_POLL_SECONDS = 60


async def latest_event_id(plan: Any) -> int:
    return await database_sync_to_async(selectors.latest_event_id)(plan.pk)


async def cancel(plan: Any) -> int:
    await database_sync_to_async(services.plan_cancel)(
        plan=plan, actor=services.SYSTEM, reason="stop"
    )
    return await latest_event_id(plan)


async def test_a_member_is_told_when_the_plan_changes(reviewer: Any, team: Any) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    communicator = await connect(f"/ws/plans/{plan.pk}/?after={await latest_event_id(plan)}")
    assert await communicator.receive_nothing(timeout=0.2)

    cancelled = await cancel(plan)

    assert await communicator.receive_json_from(timeout=2) == {
        "type": "changed",
        "last_event_id": cancelled,
    }
    await communicator.disconnect()


async def test_a_page_that_is_behind_is_told_at_once(reviewer: Any, team: Any) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    rendered = await latest_event_id(plan)
    cancelled = await cancel(plan)

    communicator = await connect(f"/ws/plans/{plan.pk}/?after={rendered}")

    assert await communicator.receive_json_from(timeout=2) == {
        "type": "changed",
        "last_event_id": cancelled,
    }
    await communicator.disconnect()


async def test_a_page_that_is_up_to_date_is_told_nothing(reviewer: Any, team: Any) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    communicator = await connect(f"/ws/plans/{plan.pk}/?after={await latest_event_id(plan)}")
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_the_poll_finds_changes_the_channel_layer_did_not_carry(
    reviewer: Any, team: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PLANGATE_LIVE_POLL_SECONDS = 0.05
    plan = await database_sync_to_async(submit_plan)(team)
    communicator = await connect(f"/ws/plans/{plan.pk}/?after={await latest_event_id(plan)}")
    # A worker in another process: its change commits, but no message reaches this one.
    monkeypatch.setattr(realtime, "publish", lambda **kwargs: None)

    cancelled = await cancel(plan)

    assert await communicator.receive_json_from(timeout=2) == {
        "type": "changed",
        "last_event_id": cancelled,
    }
    assert await communicator.receive_nothing(timeout=0.2)  # told once, not on every poll
    await communicator.disconnect()


async def test_a_burst_of_changes_is_announced_once_or_twice_ending_with_the_last(
    reviewer: Any, team: Any
) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    start = await latest_event_id(plan)
    communicator = await connect(f"/ws/plans/{plan.pk}/?after={start}")
    layer = get_channel_layer()

    for event_id in range(start + 1, start + 21):
        await layer.group_send(
            realtime.plan_group(plan.pk),
            {"type": "plan.changed", "plan_id": str(plan.pk), "event_id": event_id},
        )

    received = []
    while not await communicator.receive_nothing(timeout=0.3):
        received.append(await communicator.receive_json_from())
    assert 1 <= len(received) <= 2
    assert received[-1] == {"type": "changed", "last_event_id": start + 20}
    await communicator.disconnect()


async def test_the_list_hears_of_its_teams_plans_only(
    reviewer: Any, team: Any, other_team: Any
) -> None:
    seen = await database_sync_to_async(selectors.latest_event_id_for_teams)([team.pk])
    communicator = await connect(f"/ws/plans/?after={seen}")

    await database_sync_to_async(submit_plan)(other_team)
    assert await communicator.receive_nothing(timeout=0.3)

    ours = await database_sync_to_async(submit_plan)(team)
    assert await communicator.receive_json_from(timeout=2) == {
        "type": "changed",
        "last_event_id": await latest_event_id(ours),
    }
    await communicator.disconnect()


@pytest.mark.parametrize("gone", [Disconnected("Attempt to send on a closed protocol"), OSError()])
async def test_a_nudge_for_a_page_that_just_closed_is_dropped_quietly(
    gone: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    # The page closes while its next nudge waits out the coalescing delay, and the server
    # refuses the send before the consumer hears of the close: daphne raises autobahn's
    # Disconnected, a server that follows ASGI 2.4 an OSError.
    consumer = PlanConsumer()
    sent: list[Any] = []

    async def closed(message: Any) -> None:
        sent.append(message)
        raise gone

    consumer.base_send = closed
    consumer._announce(7)
    flush = consumer._flush_task
    assert flush is not None
    await asyncio.wait_for(asyncio.shield(flush), timeout=2)

    assert [json.loads(message["text"]) for message in sent] == [
        {"type": "changed", "last_event_id": 7}
    ]
    # Nobody awaits this task: an exception left in it is logged as one never retrieved.
    assert flush.exception() is None
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
