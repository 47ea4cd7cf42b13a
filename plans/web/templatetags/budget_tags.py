"""Money on the pages: a plan's estimate, spending and budget (with the raise form when its
budget holds it), each step's usage, and the team's spending this month with its budget."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join

from plans.budgets import holds, selectors
from plans.models import Plan, PlanStep, Team

register = template.Library()


def _money(context: template.Context, plan: Plan) -> selectors.PlanBudget:
    # Read once per rendering of the page, for its budget box and all its step rows.
    cached = context.get("_plan_money")
    if cached is None:
        rows = context.get("rows")
        steps = [r.step for r in rows] if rows else None
        cached = selectors.plan_budget(plan, steps)
        context.dicts[0]["_plan_money"] = cached
    return cached


@register.filter
def money(value: Decimal | None) -> str:
    """1234.5 as 1,234.50."""
    return holds.money(value)


@register.inclusion_tag("plans/includes/budget.html", takes_context=True)
def plan_budget(context: template.Context, plan: Plan) -> dict[str, Any]:
    info = _money(context, plan)
    return {
        "plan": plan,
        "money": info,
        "shown": info.budget is not None or info.estimate is not None or info.usage.attempts > 0,
        "box": context.get("budget_box") or {},
        "may_decide": plan.team_id in (context.get("decides_in") or set()),
        "csrf_token": context.get("csrf_token"),
        "oob": context.get("oob"),
        # Who asked for a raise, named as the page names every actor.
        "tokens": context.get("tokens"),
    }


@register.simple_tag(takes_context=True)
def step_usage(context: template.Context, step: PlanStep) -> str:
    """A line under a step: what its attempts cost, or what it is expected to cost. A plain
    tag rather than a template: it runs once per row of plans with hundreds of steps."""
    usage = _money(context, context["plan"]).steps.get(step.pk)
    if usage is None:
        if step.estimated_cost is None:
            return ""
        return format_html(
            '<p class="muted step-usage">Estimated {}</p>', holds.money(step.estimated_cost)
        )
    models = format_html_join("", " · <code>{}</code>", ((m,) for m in usage.by_model if m))
    unpriced = (
        format_html(' · <span class="warning-text">{}</span>', "unpriced") if usage.unpriced else ""
    )
    return format_html(
        '<p class="muted step-usage">Cost {} · {} in / {} out{}{}</p>',
        holds.money(usage.cost),
        usage.input_tokens,
        usage.output_tokens,
        models,
        unpriced,
    )


@register.inclusion_tag("plans/includes/team_budget.html", takes_context=True)
def team_budget(context: template.Context, team: Team) -> dict[str, Any]:
    month = holds.this_month()
    return {
        "team": team,
        "usage": selectors.team_usage(team, month),
        "form_value": context.get("budget_value", team.monthly_budget),
        "error": context.get("budget_error", ""),
        "csrf_token": context.get("csrf_token"),
    }
