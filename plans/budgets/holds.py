"""When spending holds a plan: its own budget reached, or its team's for the month.

Read under the plan lock by the services that would let the plan go on (plans/services.py:
starting it, resuming it after a rescue) and by the engine after recording what steps cost.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from plans.models import EventKind, Plan, TeamMonthSpend
from plans.states import PlanStatus, StepStatus, plan_transition

PLAN_REASON = "budget reached"
TEAM_REASON = "team budget reached"


def money(value: Decimal | None) -> str:
    """An amount as people read it: 1,000.00."""
    return f"{value or Decimal(0):,.2f}"


def this_month() -> str:
    """The calendar month (UTC) spending counts towards now, as "YYYY-MM"."""
    return timezone.now().strftime("%Y-%m")


def team_spent(team_id: int, month: str | None = None) -> Decimal:
    """What the team's plans spent in `month` (default: this month)."""
    row = (
        TeamMonthSpend.objects.filter(team_id=team_id, month=month or this_month())
        .values_list("spent", flat=True)
        .first()
    )
    return row if row is not None else Decimal(0)


def plan_over(plan: Plan) -> bool:
    """Whether the plan spent all of its own budget."""
    return plan.budget is not None and plan.spent >= plan.budget


def plan_reason(plan: Plan) -> str:
    return f"{PLAN_REASON}: {money(plan.spent)} of {money(plan.budget)}"


def team_reason(plan: Plan) -> str:
    """Why the team's monthly budget holds the plan; "" when it does not."""
    limit = plan.team.monthly_budget
    if limit is None:
        return ""
    spent = team_spent(plan.team_id)
    if spent < limit:
        return ""
    return f"{TEAM_REASON}: {money(spent)} of {money(limit)} this month"


def reason_now(plan: Plan) -> str:
    """Why spending holds the plan now ("budget reached: 4.80 of 5.00"); "" when it does not."""
    if plan_over(plan):
        return plan_reason(plan)
    return team_reason(plan)


def keeps_held(plan: Plan) -> bool:
    """Whether spending still holds a plan that needs attention (called with it locked, before
    it would resume). Keeps its `hold_reason` up to date either way, for the page and the API."""
    reason = reason_now(plan)
    if reason != plan.hold_reason:
        plan.hold_reason = reason
        plan.save(update_fields=["hold_reason", "updated_at"])
    return bool(reason)


def has_steps_to_start(plan: Plan) -> bool:
    return plan.steps.filter(status__in=[StepStatus.PENDING, StepStatus.AWAITING_APPROVAL]).exists()


def hold(plan: Plan, actor: Any, reason: str, *, record: Callable[..., Any]) -> None:
    """Executing -> needs attention because spending reached a budget; called with the plan
    locked. Nothing more is claimed (claims take steps of executing plans only); steps in
    flight finish and their spending counts. The version goes up: a raise names the version
    whose hold the reviewer saw. `record` writes the plan's event (plans.services._record)."""
    plan.status = plan_transition(plan.status, PlanStatus.NEEDS_ATTENTION)
    plan.version += 1
    plan.hold_reason = reason
    plan.save(update_fields=["status", "version", "hold_reason", "updated_at"])
    record(
        plan,
        EventKind.PLAN_BUDGET_REACHED,
        actor,
        data={
            "reason": reason,
            "spent": str(plan.spent),
            "budget": None if plan.budget is None else str(plan.budget),
            "team": reason.startswith(TEAM_REASON),
            "version": plan.version,
        },
    )
