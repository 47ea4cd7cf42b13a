"""plangate_client against a live Plangate: submit (once per Idempotency-Key), read, wait for a
decision made by another process and for the end, follow the events across dropped
connections, and errors that carry the API's details."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from plangate_client import (
    AsyncPlangate,
    Conflict,
    Forbidden,
    NotFound,
    Plangate,
    Unauthorized,
    ValidationFailed,
)

from plans import services
from plans.models import PlanEvent, Scope
from tests.client.conftest import in_background
from tests.factories import approve

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = {
    "goal": "Send the weekly summary",
    "user_id": "user-7",
    "topic_id": "topic-3",
    "steps": [
        {"key": "fetch", "task": "Fetch the figures"},
        {"key": "write", "task": "Write it up", "depends_on": ["fetch"]},
    ],
}


def cancel(plan_id: str) -> None:
    from plans.models import Plan

    plan = Plan.objects.get(pk=plan_id)
    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="done here")


def test_it_submits_once_per_idempotency_key_and_reads_back(url: str, raw_token: str) -> None:
    with Plangate(url, raw_token) as pg:
        first = pg.submit(PLAN, idempotency_key="weekly-1")
        again = pg.submit(PLAN, idempotency_key="weekly-1")
        assert again["id"] == first["id"]
        assert (first["status"], first["version"]) == ("draft", 1)
        assert [s["key"] for s in first["steps"]] == ["fetch", "write"]

        assert pg.get(first["id"])["goal"] == "Send the weekly summary"
        page = pg.list(user_id="user-7")
        assert page["count"] == 1
        assert page["items"][0]["id"] == first["id"]
        assert [e["kind"] for e in pg.events(first["id"])] == ["plan.created"]


def test_it_waits_for_a_decision_made_by_another_process(url: str, raw_token: str) -> None:
    from plans.models import Plan

    with Plangate(url, raw_token) as pg:
        plan = pg.submit(PLAN)
        approver = in_background(0.5, lambda: approve(Plan.objects.get(pk=plan["id"])))
        decided = pg.wait_for_decision(plan["id"], timeout=20)
        approver.join()
        assert decided["done"] is True
        assert decided["status"] == decided["plan"]["status"] == "approved"

        # Not ended: the wait for the end times out, and says so.
        pending = pg.wait_for_end(plan["id"], timeout=0.5)
        assert (pending["done"], pending["status"]) == (False, "approved")


def test_it_revises_approves_and_cancels(url: str, raw_token: str) -> None:
    with Plangate(url, raw_token) as pg:
        plan = pg.submit(PLAN)
        revision = pg.revise(plan["id"], {"steps": PLAN["steps"][:1]}, base_version=1)
        assert revision["version"] == 2
        approved = pg.approve(plan["id"], version=2)
        assert approved["status"] == "approved"
        assert pg.cancel(plan["id"], reason="not needed")["status"] == "cancelled"


def test_it_follows_the_events_across_dropped_connections(url: str, raw_token: str) -> None:
    # The server cuts every stream after a second (PLANGATE_STREAM_MAX_SECONDS); the plan is
    # cancelled after three, so the client resumes at least twice.
    with Plangate(url, raw_token) as pg:
        plan = pg.submit(PLAN)
        canceller = in_background(3, lambda: cancel(plan["id"]))
        events = list(pg.stream(plan["id"]))
        canceller.join()
    stored = list(
        PlanEvent.objects.filter(plan_id=plan["id"]).order_by("id").values_list("id", "kind")
    )
    assert [(e["id"], e["kind"]) for e in events] == stored
    assert events[-1]["kind"] == "plan.cancelled"


def test_its_errors_carry_the_apis_details(url: str, raw_token: str, team: Any) -> None:
    with Plangate(url, raw_token) as pg:
        with pytest.raises(ValidationFailed) as invalid:
            pg.submit(
                {
                    **PLAN,
                    "steps": [
                        {"key": "a", "task": "x", "depends_on": ["nope"]},
                        {"key": "a", "task": "y"},
                    ],
                }
            )
        locs = [p.loc for p in invalid.value.problems]
        assert ("body", "steps", 0, "depends_on", 0) in locs
        assert ("body", "steps", 1, "key") in locs
        assert invalid.value.status_code == 422

        plan = pg.submit(PLAN)
        with pytest.raises(Conflict) as stale:
            pg.approve(plan["id"], version=7)
        assert (stale.value.status, stale.value.current_version) == ("draft", 1)

        with pytest.raises(NotFound):
            pg.get(str(uuid.uuid4()))
        with pytest.raises(NotFound):
            list(pg.stream(str(uuid.uuid4())))

    _, reader = services.token_create(team=team, name="reader", scopes=[Scope.READ])
    with Plangate(url, reader) as pg, pytest.raises(Forbidden) as refused:
        pg.approve(plan["id"], version=1)
    assert refused.value.detail == "this token lacks the scope plans:decide"

    with Plangate(url, "pgt_not_atoken") as pg, pytest.raises(Unauthorized):
        pg.wait(plan["id"], timeout=0)


def test_the_async_client_does_the_same(url: str, raw_token: str) -> None:
    async def agent() -> tuple[dict[str, Any], list[str]]:
        async with AsyncPlangate(url, raw_token) as pg:
            plan = await pg.submit(PLAN, idempotency_key="async-1")
            canceller = in_background(0.5, lambda: cancel(plan["id"]))
            ended = await pg.wait_for_end(plan["id"], timeout=20)
            canceller.join()
            kinds = [event["kind"] async for event in pg.stream(plan["id"])]
            return dict(ended), kinds

    ended, kinds = asyncio.run(agent())
    assert (ended["done"], ended["status"]) == (True, "cancelled")
    assert kinds == ["plan.created", "plan.cancelled"]
