"""The plan page's guardrails: what a step's checks are (plans/guardrails/display.py)."""

from __future__ import annotations

from django import template

from plans.guardrails.display import Shown, shown
from plans.models import PlanStep

register = template.Library()


@register.simple_tag
def guardrails_of(step: PlanStep) -> Shown:
    """`{% guardrails_of row.step as guard %}`: the checks that run on the step, and its gate."""
    return shown(step.executor, step.guardrails, step.quality)
