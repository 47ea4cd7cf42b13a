"""Reads of a team's policy and of what it decided about a plan."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from plans.models import Plan, PolicyVersion, Team
from plans.policy.evaluation import policy_in_force

__all__ = ["plan_policy", "policy_in_force", "policy_versions"]


def policy_versions(team: Team) -> QuerySet[PolicyVersion]:
    """The team's policy versions, newest (the one in force) first."""
    return PolicyVersion.objects.filter(team=team).select_related("actor_user").order_by("-version")


def plan_policy(plan: Plan) -> dict[str, Any] | None:
    """What the policy decided about the plan's newest version that it was evaluated for (a
    version made by adding an artifact or skipping a step keeps the decision before it); None
    when it was never evaluated."""
    return (
        plan.revisions.filter(policy__isnull=False)
        .order_by("-version")
        .values_list("policy", flat=True)
        .first()
    )
