"""A restored plan keeps a skipped step's dependents waiting for what that step waited for."""

from __future__ import annotations

from typing import Any

import pytest

from executors.protocol import StepOutcome
from plans import checkpoints, services
from plans.models import Plan
from tests.factories import WORKER, approve, claim, finish, step, submit_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_restores_a_skipped_steps_dependents_still_waiting(team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c", "b")])
    services.step_skip(plan=plan, key="b", actor=services.SYSTEM, reason="not needed")
    plan = approve(plan)
    services.plan_start(plan=plan, actor=WORKER)
    data = checkpoints.checkpoint_for_plan(plan)
    plan_id = plan.pk
    plan.delete()

    checkpoints.checkpoint_restore(data)

    restored = Plan.objects.get(pk=plan_id)
    running = claim(restored, "a")  # and not c, whose skipped dependency waits for a
    assert finish(running, StepOutcome.success("a done"))
    assert claim(restored, "c").inputs == {}
