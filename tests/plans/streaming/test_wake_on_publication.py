"""A follower wakes on the after-commit publication, not only on its poll: with the poll set to
half a minute, an approval still ends a wait, and a stream gets the event, within a second."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from plans.streaming import follow
from tests.factories import approve, submit_plan

pytestmark = pytest.mark.django_db(transaction=True)


def approve_and_close(plan: Any) -> None:
    try:
        approve(plan)
    finally:
        connection.close()


def test_a_wait_wakes_on_the_publication(team: Any, settings: Any) -> None:
    settings.PLANGATE_LIVE_POLL_SECONDS = 30
    plan = submit_plan(team)

    async def run() -> tuple[follow.WaitResult, float]:
        waiting = asyncio.create_task(
            follow.wait_for(
                team_id=team.pk, plan_id=plan.pk, until=follow.Until.DECISION, timeout=20
            )
        )
        await asyncio.sleep(0.5)
        approved_at = time.monotonic()
        await sync_to_async(approve_and_close)(plan)
        result = await waiting
        return result, time.monotonic() - approved_at

    result, took = asyncio.run(run())
    assert (result.done, result.state.status) == (True, "approved")
    assert took < 1.5


def test_a_stream_wakes_on_the_publication(team: Any, settings: Any) -> None:
    settings.PLANGATE_LIVE_POLL_SECONDS = 30
    plan = submit_plan(team)

    async def run() -> tuple[list[str], float]:
        kinds: list[str] = []
        items = follow.follow(
            team_id=team.pk, plan_id=plan.pk, after=0, keepalive_seconds=60, max_seconds=20
        )
        first = await anext(items)
        assert isinstance(first, dict)
        kinds.append(first["kind"])
        approver = asyncio.create_task(sync_to_async(approve_and_close)(plan))
        approved_at = time.monotonic()
        second = await anext(items)
        took = time.monotonic() - approved_at
        await approver
        await items.aclose()
        assert isinstance(second, dict)
        kinds.append(second["kind"])
        return kinds, took

    kinds, took = asyncio.run(run())
    assert kinds == ["plan.created", "plan.approved"]
    assert took < 1.5
