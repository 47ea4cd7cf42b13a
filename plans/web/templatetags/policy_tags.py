"""The plan page's Policy panel: what the team's policy decided about the plan, and why."""

from __future__ import annotations

from typing import Any

from django import template

from plans.models import Plan
from plans.policy.selectors import plan_policy

register = template.Library()


@register.inclusion_tag("plans/includes/policy_panel.html", takes_context=True)
def policy_panel(context: template.Context, plan: Plan) -> dict[str, Any]:
    # The page has read its newest revisions already: the decision is on one of them, without
    # another query (older ones are read only when none of those was evaluated).
    shown = context.get("revisions") or []
    decision = next((r.policy for r in shown if r.policy is not None), None)
    if decision is None:
        decision = plan_policy(plan)
    matched = (decision or {}).get("matched", [])
    return {
        "decision": decision,
        "matched": matched,
        "acted": [m for m in matched if not m["shadow"]],
        "shadow": [m for m in matched if m["shadow"]],
        # Its links to steps land on the page of rows holding them.
        "steps_page": context.get("steps_page"),
    }
