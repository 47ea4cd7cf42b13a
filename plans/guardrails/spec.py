"""A step's guardrails and quality gate as submitted: every problem, with its JSON path."""

from __future__ import annotations

from plans.validation import Problem, StepDraft


def problems(step: StepDraft) -> list[Problem]:
    """Problems with the step's `guardrails` and `quality`."""
    found: list[Problem] = []
    for name in ("guardrails", "quality"):
        value = getattr(step, name)
        if value is not None and not isinstance(value, dict):
            found.append(Problem((*step.loc, name), f"{name} must be an object"))
    return found
