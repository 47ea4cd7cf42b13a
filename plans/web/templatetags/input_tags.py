"""Plan inputs on the plan page: those supplied, and the form for those it still needs."""

from __future__ import annotations

import json
from typing import Any

from django import template

from plans.models import Plan
from plans.web.inputs import inputs_form

register = template.Library()


@register.inclusion_tag("plans/includes/plan_inputs.html", takes_context=True)
def plan_inputs(context: template.Context, plan: Plan) -> dict[str, Any]:
    missing = context.get("missing_inputs") or []
    form = context.get("inputs_form") or (inputs_form(plan, missing) if missing else None)
    return {
        "plan": plan,
        "supplied": [
            (name, json.dumps(value, ensure_ascii=False))
            for name, value in sorted((plan.inputs or {}).items())
        ],
        "missing": missing,
        "form": form,
        "may_revise": plan.team_id in (context.get("decides_in") or ()),
        "csrf_token": context.get("csrf_token"),
    }
