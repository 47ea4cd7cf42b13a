"""What the guardrails found, read from the step events the worker wrote (`data.guardrails` of
step.completed, step.retrying and step.failed), for the plan page and the API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plans.models import EventKind, Plan, PlanEvent, PlanStep

_KINDS = (EventKind.STEP_COMPLETED, EventKind.STEP_RETRYING, EventKind.STEP_FAILED)


def findings_for_plan(
    plan: Plan, keys: Iterable[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Step key -> its findings, oldest first, each with the attempt that found it. One query."""
    events = PlanEvent.objects.filter(plan=plan, kind__in=_KINDS, data__has_key="guardrails")
    if keys is not None:
        events = events.filter(step_key__in=list(keys))
    found: dict[str, list[dict[str, Any]]] = {}
    for key, data in events.order_by("pk").values_list("step_key", "data"):
        attempt = data.get("attempt")
        for finding in data.get("guardrails") or []:
            if isinstance(finding, dict):
                found.setdefault(key, []).append({"attempt": attempt, **finding})
    return found


def attach(plan: Plan, steps: list[PlanStep]) -> None:
    """Set each step's `guardrail_findings` for the whole plan at once: one query, none for a
    plan none of whose steps has run yet (nothing can have been found)."""
    found = findings_for_plan(plan) if any(s.attempts for s in steps) else {}
    for step in steps:
        step.guardrail_findings = found.get(step.key, [])  # type: ignore[attr-defined]


def findings_for_step(step: PlanStep) -> list[dict[str, Any]]:
    """The step's findings: attached by `attach`, or read for this step alone."""
    attached = getattr(step, "guardrail_findings", None)
    if attached is not None:
        return list(attached)
    return findings_for_plan(step.plan, [step.key]).get(step.key, [])
