"""A step's guardrails and quality gate as submitted: every problem, with its JSON path."""

from __future__ import annotations

from django.conf import settings

from plans.guardrails.checks import guardrails_problems, quality_problems
from plans.validation import Problem, StepDraft


def problems(step: StepDraft) -> list[Problem]:
    """Problems with the step's `guardrails` and `quality`: an unknown check type or field, a
    regular expression that does not compile, a schema that is not a valid JSON Schema, a named
    check not in PLANGATE_GUARDRAIL_CHECKS, a bad mode or on_block, a malformed quality gate."""
    found: list[Problem] = []
    if step.guardrails is not None:
        found += [
            Problem(loc, msg)
            for loc, msg in guardrails_problems(
                step.guardrails,
                (*step.loc, "guardrails"),
                known_checks=settings.PLANGATE_GUARDRAIL_CHECKS,
            )
        ]
    if step.quality is not None:
        found += [
            Problem(loc, msg) for loc, msg in quality_problems(step.quality, (*step.loc, "quality"))
        ]
    return found
