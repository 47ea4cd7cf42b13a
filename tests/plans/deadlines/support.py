"""Plans with deadlines, and moving their timers' moment to now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from plans import services
from plans.models import DecisionTimer, Plan, Scope
from tests.factories import approve, step, submit_plan


def due(plan: Plan, *, kind: str = "deadline", step_key: str | None = None) -> int:
    """Make the plan's unfired timers of `kind` due now, as if their moment had come. Only
    when they fire moves; the deadline they are about stays as it was."""
    timers = DecisionTimer.objects.filter(plan=plan, kind=kind, fired_at=None)
    if step_key is not None:
        timers = timers.filter(step_key=step_key)
    return timers.update(fire_at=timezone.now() - timedelta(seconds=1))


def draft(team: Any, *, decision_deadline: Any = 3600, on_timeout: str | None = None) -> Plan:
    return submit_plan(team, decision_deadline=decision_deadline, on_timeout=on_timeout)


def gated(team: Any, *, on_timeout: str = "cancel", seconds: float = 600) -> Plan:
    """An executing plan whose gate `deploy` waits for a decision (with a deadline) at once,
    and `report` depends on it."""
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "deploy",
                    approval="required",
                    decision_deadline=seconds,
                    on_timeout=on_timeout,
                ),
                step("report", "deploy"),
            ],
        )
    )
    assert services.plan_start(plan=plan, actor=services.SYSTEM)
    plan.refresh_from_db()
    return plan


def deciding_token(team: Any) -> str:
    token, raw = services.token_create(team=team, name="decides")
    token.scopes = [s.value for s in Scope]
    token.save(update_fields=["scopes"])
    return raw
