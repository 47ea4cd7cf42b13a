"""An attempt cut short by a dead worker, or handed back by one shutting down, does not use up
the step's retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from executors.protocol import FailureClass, StepOutcome
from orchestration.engine import queue
from plans import services
from plans.models import PlanStep
from tests.factories import WORKER, approve, claim, finish, step, submit_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_retries_a_reclaimed_step_as_if_its_lost_attempt_never_ran(team):
    plan = approve(submit_plan(team, [step("a", max_attempts=2)]))
    services.plan_start(plan=plan, actor=WORKER)
    claim(plan, "a")
    # The worker died: its lease ran out and another worker takes the step back.
    PlanStep.objects.filter(plan=plan).update(lease_expires_at=timezone.now() - timedelta(1))
    assert queue.steps_reclaim_expired(actor=WORKER) == [("a", "reclaimed")]

    second = claim(plan, "a")
    assert (second.attempt, second.failed_attempts) == (2, 1)
    assert finish(second, StepOutcome.failure("503 from the tool", FailureClass.EXECUTOR_ERROR))

    a = PlanStep.objects.get(plan=plan)
    # One real failure of two allowed: retried, not failed.
    assert (a.status, a.attempts, a.lost_leases) == ("pending", 2, 1)
    assert a.run_after is not None


def test_it_retries_a_released_step_as_if_its_handed_back_attempt_never_ran(team):
    plan = approve(submit_plan(team, [step("a", max_attempts=2)]))
    services.plan_start(plan=plan, actor=WORKER)
    first = claim(plan, "a")
    # The worker shut down before the step ended and handed it back.
    assert queue.steps_release(worker="test", actor=WORKER, attempts={first.id: 1}) == ["a"]

    second = claim(plan, "a")
    assert (second.attempt, second.failed_attempts) == (2, 1)
    assert finish(second, StepOutcome.failure("503 from the tool", FailureClass.EXECUTOR_ERROR))

    a = PlanStep.objects.get(plan=plan)
    assert (a.status, a.attempts, a.spared_attempts) == ("pending", 2, 1)
