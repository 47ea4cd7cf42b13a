"""A worker starting a plan (on PostgreSQL: one statement, then the claim) writes what a start
writes anywhere: the plan executing, its `plan.started` event announced to open pages, gated
steps held for a reviewer, and the whole plan held when its team's monthly budget is spent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orchestration.engine import queue
from plans import realtime
from plans.models import EventKind, PlanEvent
from tests.factories import WORKER, approve, step, submit_plan
from tests.orchestration.support import steps_of
from tests.plans.budgets.support import run, start

pytestmark = pytest.mark.django_db(transaction=True)


def start_next(limit: int = 4) -> queue.Started | None:
    return queue.plan_start_next(actor=WORKER, slots=queue.Slots("starter", limit, 60))


@pytest.mark.postgres
def test_picking_and_starting_a_plan_is_one_statement_and_claiming_its_steps_another(
    team: Any,
) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b")]))

    with CaptureQueriesContext(connection) as queries:
        started = start_next()

    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert len(statements) == 2, "\n\n".join(statements)
    assert started is not None and started.plan.pk == plan.pk
    assert sorted(c.key for c in started.claims) == ["a", "b"]


def test_the_start_is_recorded_and_announced(team: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    published: list[Any] = []
    monkeypatch.setattr(realtime, "publish_many", lambda batch: published.extend(batch))

    started = start_next()

    assert started is not None
    plan.refresh_from_db()
    assert plan.status == "executing"
    assert plan.started_at is not None
    event = PlanEvent.objects.get(plan=plan, kind=EventKind.PLAN_STARTED)
    assert (event.actor, event.actor_user, event.step_key, event.data) == (
        WORKER.label,
        None,
        "",
        {},
    )
    # Pages learn of the start once it has committed.
    assert (plan.pk, plan.team_id, event.pk) in published
    assert start_next() is None


def test_a_gated_step_with_nothing_to_wait_for_is_held_not_claimed(team: Any) -> None:
    plan = approve(submit_plan(team, [step("deploy", approval="required"), step("notes")]))

    started = start_next()

    assert started is not None
    assert [c.key for c in started.claims] == ["notes"]
    steps = steps_of(plan)
    assert steps["deploy"].status == "awaiting_approval"
    event = PlanEvent.objects.get(plan=plan, kind=EventKind.STEP_AWAITING_APPROVAL)
    assert (event.step_key, event.data) == ("deploy", {"inputs": []})


def test_a_plan_of_a_team_over_its_monthly_budget_is_held_and_nothing_claimed(
    team: Any,
) -> None:
    team.monthly_budget = Decimal(1000)
    team.save()
    first = start(submit_plan(team, [step("a")]))
    run(first, "a", cost="1000")
    second = approve(submit_plan(team, [step("a")]))

    started = start_next()

    assert started is not None and started.plan.pk == second.pk
    assert started.claims == []
    second.refresh_from_db()
    assert second.status == "needs_attention"
    assert second.hold_reason == "team budget reached: 1,000.00 of 1,000.00 this month"
    assert steps_of(second)["a"].status == "pending"
