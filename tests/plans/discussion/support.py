"""Helpers for the discussion tests."""

from __future__ import annotations

from plans.models import Plan
from plans.states import PlanStatus, plan_transition


def revise(plan: Plan) -> Plan:
    """Make a plan with changes requested a draft again, as a new revision will: through the
    state machine, with the version raised."""
    plan.refresh_from_db()
    plan.status = plan_transition(plan.status, PlanStatus.DRAFT)
    plan.version += 1
    plan.save(update_fields=["status", "version", "updated_at"])
    return plan
