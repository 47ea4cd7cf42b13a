"""The plan page's Policy panel: what the team's policy decided about the plan, and why."""

from __future__ import annotations

from typing import Any

from django import template

from plans.models import Plan
from plans.policy.selectors import plan_policy

register = template.Library()


@register.inclusion_tag("plans/includes/policy_panel.html")
def policy_panel(plan: Plan) -> dict[str, Any]:
    decision = plan_policy(plan)
    matched = (decision or {}).get("matched", [])
    return {
        "decision": decision,
        "matched": matched,
        "acted": [m for m in matched if not m["shadow"]],
        "shadow": [m for m in matched if m["shadow"]],
    }
