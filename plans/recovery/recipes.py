"""A step's recovery recipes as submitted: every problem, with its JSON path."""

from __future__ import annotations

from plans.validation import Problem, StepDraft


def problems(step: StepDraft) -> list[Problem]:
    """Problems with the step's `recover`."""
    if step.recover is not None and not isinstance(step.recover, dict):
        return [Problem((*step.loc, "recover"), "recover must be an object")]
    return []
