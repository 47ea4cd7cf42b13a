"""Reads for the rescue of a plan that needs attention."""

from __future__ import annotations

from plans.models import Plan, PlanStep
from plans.rescue.rules import AWAITING_RESCUE
from plans.states import PlanStatus


def steps_awaiting_rescue(plan: Plan) -> list[PlanStep]:
    """The failed steps a reviewer must decide on, in plan order; none unless the plan needs
    attention."""
    if plan.status != PlanStatus.NEEDS_ATTENTION:
        return []
    return list(plan.steps.filter(AWAITING_RESCUE).order_by("position", "pk"))
