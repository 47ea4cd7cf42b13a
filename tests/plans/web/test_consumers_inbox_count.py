"""An open plan page hears that the inbox count may have changed when another plan of the teams
where the reviewer decides changes; a page with no live content of its own, through ws/inbox/.
Neither hears of another team's plans, nor more of the team's other plans than that."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from plans import realtime, selectors, services
from plans.models import Membership, Role
from tests.factories import TeamFactory, submit_plan
from tests.websockets import connect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

INBOX = {"type": "inbox"}


@pytest.fixture(autouse=True)
def slow_poll(settings: Any) -> None:
    # Only the channel layer announces changes here, unless a test polls on purpose.
    settings.PLANGATE_LIVE_POLL_SECONDS = 60


async def opened(plan: Any) -> str:
    """The socket address of the plan's page as just rendered: its own log, and the count's."""
    seen = await database_sync_to_async(selectors.latest_event_id)(plan.pk)
    log = await database_sync_to_async(selectors.log_position)()
    return f"/ws/plans/{plan.pk}/?after={seen}&log={log}"


async def test_a_new_draft_in_another_plan_updates_an_open_plan_pages_count(
    reviewer: Any, team: Any, other_team: Any
) -> None:
    plan = await database_sync_to_async(submit_plan)(team, title="Open here")
    communicator = await connect(await opened(plan))
    assert await communicator.receive_nothing(timeout=0.2)

    await database_sync_to_async(submit_plan)(other_team, title="Another team's")
    assert await communicator.receive_nothing(timeout=0.3)

    await database_sync_to_async(submit_plan)(team, title="Another of ours")
    assert await communicator.receive_json_from(timeout=2) == INBOX
    assert await communicator.receive_nothing(timeout=0.3)

    # The page's own plan still says "changed", once, though the change reaches the socket
    # through the plan's group and the team's; that fetch carries the count, so no "inbox".
    await database_sync_to_async(services.plan_cancel)(
        plan=plan, actor=services.SYSTEM, reason="stop"
    )
    assert await communicator.receive_json_from(timeout=2) == {
        "type": "changed",
        "last_event_id": await database_sync_to_async(selectors.latest_event_id)(plan.pk),
    }
    assert await communicator.receive_nothing(timeout=1.2)
    await communicator.disconnect()


async def test_a_team_where_the_reviewer_only_reads_does_not_move_the_count(
    reviewer: Any, team: Any
) -> None:
    read_only = await database_sync_to_async(TeamFactory)(name="initech")
    await database_sync_to_async(Membership.objects.create)(
        team=read_only, user=reviewer, role=Role.VIEWER
    )
    plan = await database_sync_to_async(submit_plan)(read_only, title="Open here")
    communicator = await connect(await opened(plan))

    await database_sync_to_async(submit_plan)(read_only, title="Another there")
    assert await communicator.receive_nothing(timeout=0.3)

    await database_sync_to_async(submit_plan)(team, title="One to decide")
    assert await communicator.receive_json_from(timeout=2) == INBOX
    await communicator.disconnect()


async def test_the_poll_finds_another_plans_change_the_channel_layer_did_not_carry(
    reviewer: Any, team: Any, other_team: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PLANGATE_LIVE_POLL_SECONDS = 0.05
    settings.PLANGATE_LIVE_COUNT_POLL_SECONDS = 0.05
    plan = await database_sync_to_async(submit_plan)(team)
    communicator = await connect(await opened(plan))
    assert await communicator.receive_nothing(timeout=0.2)
    # A worker in another process: its change commits, but no message reaches this one.
    monkeypatch.setattr(realtime, "publish", lambda **kwargs: None)

    await database_sync_to_async(submit_plan)(other_team)
    assert await communicator.receive_nothing(timeout=0.3)
    await database_sync_to_async(submit_plan)(team)

    assert await communicator.receive_json_from(timeout=2) == INBOX
    assert await communicator.receive_nothing(timeout=1.2)  # told once, not on every poll
    await communicator.disconnect()


async def test_a_page_whose_count_is_behind_is_told_at_once(reviewer: Any, team: Any) -> None:
    plan = await database_sync_to_async(submit_plan)(team)
    address = await opened(plan)
    await database_sync_to_async(submit_plan)(team, title="Submitted while the page loaded")

    communicator = await connect(address)

    assert await communicator.receive_json_from(timeout=2) == INBOX
    await communicator.disconnect()


async def test_a_page_without_live_content_hears_of_its_teams_plans_only(
    reviewer: Any, team: Any, other_team: Any
) -> None:
    log = await database_sync_to_async(selectors.log_position)()
    communicator = await connect(f"/ws/inbox/?after=0&log={log}")
    assert await communicator.receive_nothing(timeout=0.2)

    await database_sync_to_async(submit_plan)(other_team)
    assert await communicator.receive_nothing(timeout=0.3)

    await database_sync_to_async(submit_plan)(team)
    assert await communicator.receive_json_from(timeout=2) == INBOX
    await communicator.disconnect()
