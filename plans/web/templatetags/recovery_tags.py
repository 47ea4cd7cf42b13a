"""Recovery recipes on the plan page (plans/web/recovery.py)."""

from __future__ import annotations

from typing import Any

from django import template

from plans.models import PlanStep
from plans.web import recovery

register = template.Library()


@register.filter
def step_recovery(step: Any) -> recovery.Recovery | None:
    """The step's recipes and what it runs since a recovery, None when it has no recipe (or
    `step` is not a step)."""
    return recovery.step_recovery(step) if isinstance(step, PlanStep) else None


@register.filter
def recovery_text(data: Any) -> str:
    """A step.recovering event's data in words."""
    return recovery.event_text(data)
