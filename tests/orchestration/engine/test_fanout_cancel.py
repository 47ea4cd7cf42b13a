"""Cancelling a plan in the middle of a fan-out stops its running items and skips the rest."""

from __future__ import annotations

import pytest

from plans import services
from plans.models import PlanEvent
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_stops_everything_when_the_plan_is_cancelled(team, worker):
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", list(range(6))),
                step(
                    "each",
                    "list",
                    executor="python",
                    params={"function": "sleep", "seconds": 30},
                    for_each={"over": "list", "max_concurrency": 2},
                ),
                step("after", "each"),
            ],
        )
    )
    run_until(
        worker,
        lambda: plan.steps.filter(parent__isnull=False, status="in_progress").count() == 2,
        "two items to run",
    )

    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="enough")
    run_until_idle(worker, timeout=5)

    plan.refresh_from_db()
    assert plan.status == "cancelled"
    assert worker.running == {}
    steps = steps_of(plan)
    assert (steps["each"].status, steps["each"].failure_class) == ("failed", "cancelled")
    items = [steps[f"each[{i}]"] for i in range(6)]
    assert [(s.status, s.failure_class or s.skip_reason) for s in items] == [
        ("failed", "cancelled"),
        ("failed", "cancelled"),
        *[("skipped", "plan cancelled")] * 4,
    ]
    assert (steps["after"].status, steps["after"].skip_reason) == ("skipped", "plan cancelled")
    last = PlanEvent.objects.filter(plan=plan).order_by("id").last()
    assert last.kind == "plan.cancelled"
    assert not worker.run_once()
