"""With a worker: a plan of costed steps stops at its budget, needs attention with the reason,
starts nothing more, and goes on to complete once a reviewer raises the budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plans.budgets import services as budgets
from plans.models import EventKind, Plan, PlanEvent, StepUsage
from plans.services import SYSTEM
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

COSTS_ONE = {"usage": {"model": "m", "input_tokens": 10, "output_tokens": 5, "cost": "1.00"}}


def test_it_stops_at_the_budget_and_resumes_when_raised(team, worker) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step("a", params=COSTS_ONE),
                step("b", "a", params=COSTS_ONE),
                step("c", "b", params=COSTS_ONE),
                step("d", "c", params=COSTS_ONE),
            ],
            budget="2.50",
        )
    )
    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    assert plan.spent == Decimal("3.00")
    assert plan.hold_reason == "budget reached: 3.00 of 2.50"
    steps = steps_of(plan)
    assert [steps[k].status for k in "abcd"] == ["completed"] * 3 + ["pending"]
    assert steps["d"].attempts == 0
    reached = PlanEvent.objects.get(plan=plan, kind=EventKind.PLAN_BUDGET_REACHED)
    assert reached.data["reason"] == "budget reached: 3.00 of 2.50"
    # Every attempt's usage is kept, with where its cost came from.
    assert (
        list(StepUsage.objects.filter(plan=plan).values_list("cost_source", flat=True))
        == ["executor"] * 3
    )

    budgets.plan_budget_raise(plan=plan, actor=SYSTEM, version=plan.version, budget="10")
    run_until_idle(worker)
    plan = Plan.objects.get(pk=plan.pk)
    assert plan.status == "completed"
    assert plan.spent == Decimal("4.00")
    assert plan.hold_reason == ""
    assert plan.budget == Decimal("10")


def test_a_plan_whose_last_step_reaches_the_budget_completes(team, worker) -> None:
    plan = approve(submit_plan(team, [step("a", params=COSTS_ONE)], budget="1"))
    run_until_idle(worker)
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert plan.spent == Decimal("1.00")
