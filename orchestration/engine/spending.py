"""What finished attempts cost, recorded in the finish transaction, and the stop when a plan's
spending reaches its budget (or its team's monthly one).

`record` runs under the plan locks `queue._finish` holds, before the attempts' events are
written, so an attempt's usage commits with its outcome or not at all; `hold_spent_plans` runs
after the plans' ends were decided, so a plan whose last step took it to its budget completes
rather than being held with nothing left to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from orchestration.engine.claims import Report
from plans.budgets import services as budgets
from plans.models import Plan
from plans.services import Actor


def record(
    reports: Sequence[Report], plans: dict[UUID, Plan]
) -> dict[tuple[int, int], dict[str, Any]]:
    """Store the usage of every reported attempt, accepted or not (an attempt whose late result
    is refused still consumed what it did), and add its cost to the plan's and the team's
    spending. Returns what each attempt's event adds, by (step id, attempt): its usage and a
    warning about a usage the executor could not read."""
    spends = [
        budgets.Spend(r.claim.plan_id, r.claim.id, r.claim.attempt, r.outcome.usage)
        for r in reports
        if r.outcome.usage is not None
    ]
    notes: dict[tuple[int, int], dict[str, Any]] = {
        (step_id, attempt): {"usage": usage}
        for (step_id, attempt), usage in budgets.usage_record(plans=plans, spends=spends).items()
        if step_id is not None
    }
    for r in reports:
        if r.outcome.warning:
            notes.setdefault((r.claim.id, r.claim.attempt), {})["usage_warning"] = r.outcome.warning
    return notes


def hold_spent_plans(reports: Sequence[Report], plans: dict[UUID, Plan], actor: Actor) -> None:
    """Hold the executing plans of these reports whose spending reached a budget; nothing new
    of theirs starts, what runs finishes and is recorded."""
    for plan_id in sorted({r.claim.plan_id for r in reports if r.outcome.usage}, key=str):
        budgets.hold_if_spent(plans[plan_id], actor)
