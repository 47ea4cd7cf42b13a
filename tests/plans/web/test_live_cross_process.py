"""An open page hears of changes a worker in another process makes.

With Redis as the channel layer (the PostgreSQL run in CI) the nudge crosses processes through
Redis, so the page's event-log poll is turned off here; with the embedded in-memory layer, the
poll is what carries it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings as django_settings

from plans import selectors
from tests.factories import approve, step, submit_plan
from tests.processes import ROOT, running
from tests.websockets import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def poll_only_without_redis(settings: Any) -> None:
    settings.PLANGATE_LIVE_POLL_SECONDS = 600 if django_settings.REDIS_URL else 0.2
    settings.PLANGATE_LIVE_COUNT_POLL_SECONDS = settings.PLANGATE_LIVE_POLL_SECONDS


async def test_a_worker_in_another_process_updates_an_open_page(reviewer: Any, team: Any) -> None:
    plan = await database_sync_to_async(submit_plan)(team, [step("a"), step("b", "a")])
    await database_sync_to_async(approve)(plan)
    seen = await database_sync_to_async(selectors.latest_event_id)(plan.pk)
    communicator = await connect(f"/ws/plans/{plan.pk}/?after={seen}")
    assert await communicator.receive_nothing(timeout=0.3)

    started = time.monotonic()
    worker = ["manage.py", "runworker", "--once"]
    with running(worker, log=ROOT / "test-artifacts" / "cross-process-worker.log") as child:
        announced = 0
        while time.monotonic() - started < 20:
            # receive_nothing waits without cancelling the consumer, as a timed-out receive would.
            if await communicator.receive_nothing(timeout=0.3):
                if child.poll() is not None and announced:
                    break
                continue
            message = await communicator.receive_json_from()
            assert message["type"] == "changed"
            announced = message["last_event_id"]
        assert child.wait(timeout=20) == 0

    await database_sync_to_async(plan.refresh_from_db)()
    assert plan.status == "completed"
    # The page was told of the final event, so it fetched the completed plan.
    assert announced == await database_sync_to_async(selectors.latest_event_id)(plan.pk)
    assert announced > seen
    await communicator.disconnect()


async def test_a_worker_in_another_process_gating_another_plan_nudges_a_plan_pages_count(
    reviewer: Any, team: Any
) -> None:
    open_here = await database_sync_to_async(submit_plan)(team, title="Open here")
    gated = await database_sync_to_async(submit_plan)(
        team, [step("a"), step("deploy", "a", approval="required")], title="Gated"
    )
    await database_sync_to_async(approve)(gated)
    seen = await database_sync_to_async(selectors.latest_event_id)(open_here.pk)
    log = await database_sync_to_async(selectors.log_position)()
    communicator = await connect(f"/ws/plans/{open_here.pk}/?after={seen}&log={log}")
    assert await communicator.receive_nothing(timeout=0.3)

    worker = ["manage.py", "runworker", "--once"]
    with running(worker, log=ROOT / "test-artifacts" / "cross-process-gate-worker.log") as child:
        assert child.wait(timeout=30) == 0
    # Told the count moved, not what happened in the other plan.
    assert await communicator.receive_json_from(timeout=5) == {"type": "inbox"}
    step_status = await database_sync_to_async(lambda: gated.steps.get(key="deploy").status)()
    assert step_status == "awaiting_approval"
    await communicator.disconnect()
