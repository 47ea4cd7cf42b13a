"""A restored executing plan is taken up by a worker and goes on from its first unfinished step."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from orchestration.engine.worker import Worker
from plans import checkpoints
from plans.models import Plan, PlanEvent, PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_resumes_where_the_checkpoint_left_off(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a"), step("c", "b")]))
    now = timezone.now()
    Plan.objects.filter(pk=plan.pk).update(status="executing", started_at=now)
    PlanStep.objects.filter(plan=plan, key="a").update(
        status="completed", result={"from": "before"}, attempts=1, started_at=now, finished_at=now
    )
    PlanStep.objects.filter(plan=plan, key="b").update(
        status="in_progress", attempts=1, waiting_on=0, started_at=now, lease_owner="gone:1"
    )
    data = checkpoints.checkpoint_for_plan(plan)
    plan_id = plan.pk
    plan.delete()

    checkpoints.checkpoint_restore(data)
    with Worker(name="t", concurrency=2, poll_seconds=0.02) as worker:
        run_until_idle(worker)

    plan = Plan.objects.get(pk=plan_id)
    assert plan.status == "completed"
    steps = steps_of(plan)
    assert steps["a"].result == {"from": "before"}
    assert steps["b"].attempts == 2
    assert steps["c"].result["inputs"] == {"b": steps["b"].result}
    started = list(
        PlanEvent.objects.filter(plan=plan, kind="step.started").values_list("step_key", "data")
    )
    assert [key for key, _ in started] == ["b", "c"]
    assert started[0][1]["attempt"] == 2
