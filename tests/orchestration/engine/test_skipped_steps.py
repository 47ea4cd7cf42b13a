"""Steps a reviewer skipped are not run; their dependents run without their result."""

from __future__ import annotations

import pytest

from plans import services
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_does_not_run_a_step_skipped_before_approval(team, worker):
    plan = submit_plan(team, [step("a"), step("c"), step("b", "a", "c")])
    services.step_skip(plan=plan, key="a", actor=services.SYSTEM, reason="we have that already")
    plan = approve(plan)

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    steps = steps_of(plan)
    assert steps["a"].status == "skipped"
    assert steps["a"].attempts == 0
    assert steps["a"].started_at is None
    assert steps["b"].status == "completed"
    assert steps["b"].result["inputs"] == {"c": steps["c"].result}
    assert ("step.started", "a") not in events_of(plan)


def test_it_completes_a_plan_whose_every_step_was_skipped(team, worker):
    plan = submit_plan(team, [step("a"), step("b", "a")])
    for key in ("a", "b"):
        services.step_skip(plan=plan, key=key, actor=services.SYSTEM, reason="not needed")
    plan = approve(plan)

    assert worker.start_approved_plans()
    assert not worker.dispatch_ready_steps()

    plan.refresh_from_db()
    assert plan.status == "completed"
    assert [kind for kind, _ in events_of(plan)][-2:] == ["plan.started", "plan.completed"]
    assert {s.attempts for s in steps_of(plan).values()} == {0}
