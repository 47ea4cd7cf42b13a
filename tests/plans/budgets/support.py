"""Helpers for budget tests: run a plan's steps by hand, each reporting what it cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from executors.protocol import StepOutcome, Usage
from plans import services
from plans.models import Plan
from tests.factories import WORKER, approve, claim, finish, step, submit_plan


def held_plan(team: Any, *, budget: str = "1.50", **fields: Any) -> Plan:
    """An executing plan of three steps in a row, held after two of them cost 1.00 each
    ("budget reached: 2.00 of 1.50")."""
    plan = start(
        submit_plan(team, [step("a"), step("b", "a"), step("c", "b")], budget=budget, **fields)
    )
    run(plan, "a", cost="1.00")
    run(plan, "b", cost="1.00")
    plan.refresh_from_db()
    assert plan.status == "needs_attention", plan.status
    return plan


def start(plan: Plan) -> Plan:
    """Approve the draft and start it, as a worker would."""
    plan = approve(plan)
    assert services.plan_start(plan=plan, actor=WORKER)
    plan.refresh_from_db()
    return plan


def run(plan: Plan, key: str, *, cost: str | None = None, **usage: Any) -> None:
    """Claim the ready step `key` and finish it, reporting `usage` (and `cost`)."""
    claimed = claim(plan, key)
    report = Usage(cost=None if cost is None else Decimal(cost), **usage)
    assert finish(claimed, StepOutcome.success({"ok": key}, usage=report))
