"""What the pages show of a gate: the real inputs a step awaiting approval will receive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from plans.models import PlanStep
from plans.states import StepStatus


def gate_inputs(steps: Iterable[PlanStep]) -> dict[int, dict[str, Any]]:
    """For each step awaiting approval, the results of its completed dependencies by key, in
    the order of the plan: what its executor will receive as inputs once approved (skipped
    dependencies pass nothing). One query."""
    waiting = [s.pk for s in steps if s.status == StepStatus.AWAITING_APPROVAL]
    if not waiting:
        return {}
    Through = PlanStep.depends_on.through
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    for step_id, key, result in (
        Through.objects.filter(
            from_planstep_id__in=waiting, to_planstep__status=StepStatus.COMPLETED
        )
        .order_by("to_planstep__position", "to_planstep_id")
        .values_list("from_planstep_id", "to_planstep__key", "to_planstep__result")
    ):
        found[step_id][key] = result
    return {pk: found.get(pk, {}) for pk in waiting}
