"""On PostgreSQL, three worker processes running 30 concurrent steps of 1.00 each under a budget
of 10.00: the plan stops at its budget, nothing starts after the stop, and it overspends by no
more than the steps that were in flight when its spending reached the budget."""

from __future__ import annotations

from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from plans.models import EventKind, Plan, PlanEvent, PlanStep, StepUsage
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import wait_for
from tests.orchestration.workers import WorkerProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STEPS = 30
WORKERS = 3
SLOTS = 4
COST = {"usage": {"model": "m", "input_tokens": 100, "output_tokens": 20, "cost": "1.00"}}


def test_three_workers_stop_a_plan_at_its_budget(team: Any, tmp_path: Path) -> None:
    plan = submit_plan(
        team,
        [step(f"s{i:02}", params=COST) for i in range(STEPS)],
        budget="10.00",
        max_concurrency=STEPS,
    )
    with ExitStack() as stack:
        workers = WorkerProcesses(stack, tmp_path, args=["--concurrency", str(SLOTS)])
        started = [workers.start(f"w{n}") for n in range(WORKERS)]
        workers.wait_until_listening(started)
        approve(plan)
        wait_for(
            lambda: Plan.objects.get(pk=plan.pk).status not in ("approved", "executing"),
            "the plan to stop",
            timeout=60,
        )
        # What was in flight at the stop finishes and is recorded.
        wait_for(
            lambda: not PlanStep.objects.filter(plan=plan, status="in_progress").exists(),
            "the steps in flight to finish",
            timeout=30,
        )

    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    usage = list(StepUsage.objects.filter(plan=plan).order_by("id"))
    assert plan.spent == sum((u.cost for u in usage), Decimal(0))
    assert plan.spent >= plan.budget
    assert plan.hold_reason.startswith("budget reached: ")
    assert plan.hold_reason.endswith(" of 10.00")

    # Nothing started after the stop.
    held = PlanEvent.objects.get(plan=plan, kind=EventKind.PLAN_BUDGET_REACHED)
    assert not PlanEvent.objects.filter(
        plan=plan, kind=EventKind.STEP_STARTED, id__gt=held.pk
    ).exists()
    assert PlanStep.objects.filter(plan=plan, status="pending", attempts=0).count() == (
        STEPS - len(usage)
    )

    # The overspend is bounded by what was in flight: the attempts recorded after the one that
    # reached the budget all started before the stop, and no more ran than the workers' slots.
    total, crossing = Decimal(0), None
    for index, row in enumerate(usage):
        total += row.cost
        if total >= plan.budget:
            crossing = index
            break
    assert crossing is not None
    after = usage[crossing + 1 :]
    in_flight = sum((u.cost for u in after), Decimal(0))
    assert plan.spent - plan.budget <= in_flight
    assert len(after) < WORKERS * SLOTS
    started_before = set(
        PlanEvent.objects.filter(
            plan=plan, kind=EventKind.STEP_STARTED, id__lt=held.pk
        ).values_list("step_key", flat=True)
    )
    assert {u.step.key for u in after} <= started_before
