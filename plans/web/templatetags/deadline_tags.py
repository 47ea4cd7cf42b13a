"""The deadline of a pending decision on the plan page: when, what happens then, and a form to
extend it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import dateformat, timezone

from plans.deadlines import selectors
from plans.deadlines.rules import OnTimeout
from plans.models import Plan, PlanStep

register = template.Library()

# The extensions the form offers, in seconds.
EXTEND_BY = [(3600, "1 hour"), (4 * 3600, "4 hours"), (86400, "1 day"), (7 * 86400, "1 week")]


def _then(deadline: dict[str, Any], *, gate: bool) -> str:
    action = deadline["on_timeout"]
    if action == OnTimeout.ESCALATE:
        target = deadline["escalates_to"]
        if target:
            return f"escalated to {target}"
        return "cancelled (no approver group is left to escalate to)"
    if action == OnTimeout.APPROVE:
        return "approved"
    if action == OnTimeout.SKIP:
        return "skipped"
    return "cancelled" if not gate else "cancelled, with its plan"


def _box(
    context: template.Context,
    plan: Plan,
    deadline: dict[str, Any] | None,
    *,
    step_key: str,
    extendable: bool,
) -> dict[str, Any]:
    if deadline is None:
        return {"deadline": None}
    at = deadline["at"]
    out: dict[str, Any] = {
        "deadline": deadline,
        "plan": plan,
        "step_key": step_key,
        "then": _then(deadline, gate=bool(step_key)),
        "extendable": extendable,
        "extend_by": EXTEND_BY,
        "csrf_token": context.get("csrf_token"),
        "dom_id": "deadline-" + (str(context.get("dom_id") or "gate") if step_key else "plan"),
    }
    if at is not None:
        local = timezone.localtime(at)
        today = timezone.localtime().date()
        fmt = "H:i T" if local.date() == today else "Y-m-d H:i T"
        out["by"] = dateformat.format(local, fmt)
        left = selectors.remaining(at)
        out["left"] = selectors.in_words(left) if left > 0 else ""
    elif deadline["seconds"]:
        out["wait"] = selectors.in_words(deadline["seconds"])
    return out


@register.inclusion_tag("plans/includes/deadline.html", takes_context=True)
def plan_deadline(context: template.Context, plan: Plan) -> dict[str, Any]:
    """The plan's deadline while its decision is pending."""
    deadline = selectors.plan_deadline(plan)
    return _box(context, plan, deadline, step_key="", extendable=plan.status == "draft")


@register.inclusion_tag("plans/includes/deadline.html", takes_context=True)
def gate_deadline(context: template.Context, plan: Plan, step: PlanStep) -> dict[str, Any]:
    """A gate's deadline: while it waits, with the form to extend it; before, how long it will
    wait."""
    deadline = selectors.step_deadline(step)
    return _box(
        context,
        plan,
        deadline,
        step_key=step.key,
        extendable=step.status == "awaiting_approval",
    )
