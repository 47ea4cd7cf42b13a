"""A fan-out step claimed before another step failed for good makes no items: the plan is
failing, so the step fails as dependency_failed and the plan fails, with nothing run after."""

from __future__ import annotations

import pytest

from executors.protocol import FailureClass, StepOutcome
from orchestration.engine import fanout, queue
from plans import services
from plans.models import PlanStep
from tests.factories import WORKER, approve, claim, finish, list_step, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db


def test_it_does_not_fan_out_in_a_failing_plan(team):
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", [1, 2, 3]),
                step("x", max_attempts=1),
                step("f", "list", for_each={"over": "list"}),
            ],
        )
    )
    services.plan_start(plan=plan, actor=WORKER)
    claims = queue.steps_claim(worker="test", actor=WORKER, limit=100, lease_seconds=60)
    assert sorted(c.key for c in claims) == ["list", "x"]
    listed, x = sorted(claims, key=lambda c: c.key)
    assert finish(listed, StepOutcome.success([1, 2, 3]))
    f = claim(plan, "f")
    # x fails for good while f is claimed: the plan waits for f before it fails.
    assert finish(x, StepOutcome.failure("no way"))
    plan.refresh_from_db()
    assert plan.status == "executing"

    outcome = fanout.step_expand(claim=f, actor=WORKER)

    assert outcome is not None
    assert (outcome.ok, outcome.failure_class, outcome.error) == (
        False,
        FailureClass.DEPENDENCY_FAILED,
        "not fanned out: step 'x' failed",
    )
    assert not PlanStep.objects.filter(plan=plan, parent__isnull=False).exists()
    assert finish(f, outcome)
    plan.refresh_from_db()
    assert plan.status == "failed"
    steps = steps_of(plan)
    assert (steps["f"].status, steps["f"].failure_class) == ("failed", "dependency_failed")
    assert steps["f"].error == "not fanned out: step 'x' failed"
    assert queue.steps_claim(worker="test", actor=WORKER, limit=100, lease_seconds=60) == []
