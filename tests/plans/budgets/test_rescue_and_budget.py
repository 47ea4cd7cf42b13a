"""A plan held both for a rescue and for its budget goes on only once neither holds it: a rescue
does not resume a plan its budget holds, and a raise does not skip a pending rescue."""

from __future__ import annotations

from decimal import Decimal

from executors.protocol import FailureClass, StepOutcome, Usage
from orchestration.engine import queue
from plans import services
from plans.budgets import services as budgets
from tests.factories import WORKER, step, submit_plan
from tests.plans.budgets.support import start


def both_running(team):
    plan = start(
        submit_plan(
            team,
            [step("x"), step("y", on_failure="ask"), step("z", "x")],
            budget="1.50",
        )
    )
    claims = queue.steps_claim(worker="test", actor=WORKER, limit=10, lease_seconds=60)
    by_key = {c.key: c for c in claims}
    assert set(by_key) == {"x", "y"}
    return plan, by_key


def finish(claimed, outcome) -> None:
    assert queue.steps_finish(reports=[queue.Report(claimed, outcome)], actor=WORKER)


COSTLY = StepOutcome.success({}, usage=Usage(cost=Decimal(2)))
BROKEN = StepOutcome.failure("no", FailureClass.BAD_INPUT)


def test_a_rescue_does_not_resume_a_plan_its_budget_holds(team) -> None:
    plan, claims = both_running(team)
    finish(claims["y"], BROKEN)
    finish(claims["x"], COSTLY)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"

    services.step_skip(plan=plan, key="y", actor=services.SYSTEM, reason="not needed")
    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    assert plan.hold_reason == "budget reached: 2.00 of 1.50"

    budgets.plan_budget_raise(plan=plan, actor=services.SYSTEM, version=plan.version, budget=5)
    plan.refresh_from_db()
    assert plan.status == "executing"


def test_a_raise_does_not_skip_a_pending_rescue(team) -> None:
    plan, claims = both_running(team)
    finish(claims["x"], COSTLY)
    plan.refresh_from_db()
    assert plan.hold_reason == "budget reached: 2.00 of 1.50"
    finish(claims["y"], BROKEN)

    plan.refresh_from_db()
    budgets.plan_budget_raise(plan=plan, actor=services.SYSTEM, version=plan.version, budget=5)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    assert plan.hold_reason == ""
    services.step_skip(plan=plan, key="y", actor=services.SYSTEM, reason="not needed")
    plan.refresh_from_db()
    assert plan.status == "executing"
