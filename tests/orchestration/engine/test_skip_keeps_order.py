"""A skipped step's dependents still wait for everything the skipped step waited for; they only
get no result from it."""

from __future__ import annotations

import pytest

from executors.protocol import FailureClass, StepOutcome
from orchestration.engine import queue
from plans import services
from tests.factories import WORKER, approve, claim, finish, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def claim_all() -> dict[str, queue.Claim]:
    claims = queue.steps_claim(worker="test", actor=WORKER, limit=100, lease_seconds=60)
    return {c.key: c for c in claims}


def nothing_ready() -> list[str]:
    return list(claim_all())


def test_it_keeps_the_step_after_a_skipped_one_waiting_for_the_step_before(team):
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c", "b")])
    services.step_skip(plan=plan, key="b", actor=services.SYSTEM, reason="not needed")
    plan = approve(plan)
    services.plan_start(plan=plan, actor=WORKER)

    running = claim(plan, "a")
    assert nothing_ready() == []

    assert finish(running, StepOutcome.success({"figures": [1, 2]}))
    after = claim(plan, "c")
    assert after.inputs == {}  # nothing from the skipped step (and a is not its dependency)
    assert finish(after, StepOutcome.success("done"))
    plan.refresh_from_db()
    assert plan.status == "completed"


def test_it_keeps_the_order_when_a_step_is_skipped_while_the_plan_runs(team):
    plan = approve(submit_plan(team, [step("a"), step("b", "a"), step("c", "b")]))
    services.plan_start(plan=plan, actor=WORKER)
    running = claim(plan, "a")

    services.step_skip(plan=plan, key="b", actor=services.SYSTEM, reason="not needed")

    assert nothing_ready() == []
    assert finish(running, StepOutcome.success("a done"))
    assert claim(plan, "c").inputs == {}


@pytest.mark.parametrize("order", [("b", "c"), ("c", "b")])
def test_it_keeps_waiting_through_several_skipped_steps(team, order):
    plan = submit_plan(
        team, [step("x"), step("a"), step("b", "a"), step("c", "b"), step("d", "c", "x")]
    )
    for key in order:
        services.step_skip(plan=plan, key=key, actor=services.SYSTEM, reason="not needed")
    plan = approve(plan)
    services.plan_start(plan=plan, actor=WORKER)

    first = claim_all()
    assert sorted(first) == ["a", "x"]
    assert finish(first["x"], StepOutcome.success("x done"))
    assert nothing_ready() == []

    assert finish(first["a"], StepOutcome.success("a done"))
    assert claim(plan, "d").inputs == {"x": "x done"}


def test_it_fails_the_steps_after_a_skipped_one_when_the_step_before_fails(team):
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c", "b")])
    services.step_skip(plan=plan, key="b", actor=services.SYSTEM, reason="not needed")
    plan = approve(plan)
    services.plan_start(plan=plan, actor=WORKER)

    running = claim(plan, "a")
    assert finish(running, StepOutcome.failure("no figures", FailureClass.BAD_INPUT))

    plan.refresh_from_db()
    assert plan.status == "failed"
    c = steps_of(plan)["c"]
    assert (c.status, c.failure_class, c.error, c.attempts) == (
        "failed",
        "dependency_failed",
        "dependency 'a' failed",
        0,
    )
