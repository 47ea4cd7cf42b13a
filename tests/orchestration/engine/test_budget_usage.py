"""What the engine records of an attempt's usage: on the step's event with its cost, a warning
about an unreadable usage, and the usage of a late attempt whose result is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from executors.protocol import StepOutcome, Usage
from plans import services
from plans.models import EventKind, PlanEvent, StepUsage
from tests.factories import claim, finish, step, submit_plan
from tests.plans.budgets.support import start

pytestmark = pytest.mark.django_db


def test_the_step_event_tells_the_usage_and_its_cost(team) -> None:
    plan = start(submit_plan(team, [step("a")]))
    outcome = StepOutcome.success({}, usage=Usage(model="m", input_tokens=3, cost=Decimal("0.5")))
    assert finish(claim(plan, "a"), outcome)
    event = PlanEvent.objects.get(plan=plan, kind=EventKind.STEP_COMPLETED)
    assert event.data["usage"] == {
        "model": "m",
        "input_tokens": 3,
        "output_tokens": 0,
        "units": {},
        "cost": "0.5000",
        "cost_source": "executor",
    }


def test_an_unreadable_usage_is_a_warning_on_the_event(team) -> None:
    plan = start(submit_plan(team, [step("a")]))
    outcome = StepOutcome.success({}, warning="usage ignored: usage.cost must be a number")
    assert finish(claim(plan, "a"), outcome)
    event = PlanEvent.objects.get(plan=plan, kind=EventKind.STEP_COMPLETED)
    assert event.data["usage_warning"] == "usage ignored: usage.cost must be a number"
    assert not StepUsage.objects.filter(plan=plan).exists()
    plan.refresh_from_db()
    assert plan.status == "completed"


def test_a_refused_late_attempt_still_counts_what_it_spent(team) -> None:
    plan = start(submit_plan(team, [step("a")]))
    claimed = claim(plan, "a")
    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="enough")
    assert not finish(claimed, StepOutcome.success({}, usage=Usage(cost=Decimal(3))))
    plan.refresh_from_db()
    assert plan.spent == Decimal(3)
    assert StepUsage.objects.get(plan=plan).attempt == 1
