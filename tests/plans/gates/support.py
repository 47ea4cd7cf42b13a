"""Plans with a gate, started as a worker would start them."""

from __future__ import annotations

from typing import Any

from plans import services
from plans.models import Plan
from tests.factories import approve, step, submit_plan


def started(team: Any, steps: list[Any] | None = None) -> Plan:
    """An executing plan; by default `deploy` is gated and waits for a reviewer at once, and
    `report` depends on it."""
    if steps is None:
        steps = [
            step("deploy", approval="required", params={"target": "staging"}),
            step("report", "deploy"),
        ]
    plan = approve(submit_plan(team, steps))
    assert services.plan_start(plan=plan, actor=services.SYSTEM)
    plan.refresh_from_db()
    return plan


def reviewer_actor(user: Any) -> services.Actor:
    return services.Actor.for_user(user)
