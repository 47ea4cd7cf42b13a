"""Recovery recipes in the engine: what a failed attempt leads to when the step's `recover` or
its executor's settings.PLANGATE_RECOVERY has a recipe for its failure class (plans/recovery/).

The queue asks `decide` for each failed report while it judges the batch (queue.py `_verdict`),
writes the verdicts, then `write` keeps what a fallback or an adjust switched the step to, and
`event` records the recovery, all in the queue's transaction under the plans' row locks. The
step's submitted executor and params are never changed: they are what a reviewer approved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from orchestration.engine.claims import Report
from plans.models import EventKind, Plan, PlanEvent, PlanStep
from plans.recovery.patch import merge_patch
from plans.recovery.recipes import Choice, choose
from plans.services import Actor
from plans.states import StepStatus

# Seconds before attempt n + 1, given n failed attempts and what the executor was told.
Backoff = Callable[[int, float | None], float]
# Recipes that make the step's next attempt run at once: what made it fail has been changed.
_AT_ONCE = 0.0


@dataclass(frozen=True)
class Recovery:
    """What a recipe made of a failed attempt."""

    report: Report
    choice: Choice
    # The step's new status: pending (another attempt) or failed.
    status: str
    delay: float | None = None
    # What the step runs from its next attempt, when the recipe changed it (None: unchanged).
    run_executor: str | None = None
    run_params: dict[str, Any] | None = None
    # The recipes used so far, this one included.
    used: list[str] = field(default_factory=list)
    # The step.recovering event's data; None when the recipe had nothing left to do.
    event: dict[str, Any] | None = None
    # Merged into the step's retrying or failed event.
    note: dict[str, Any] = field(default_factory=dict)

    def run_after(self, now: datetime) -> datetime | None:
        return None if self.delay is None else now + timedelta(seconds=self.delay)

    @property
    def skips_circuit_wait(self) -> bool:
        """A recipe that changes what runs, or asks a reviewer, acts even when this failure
        opened the executor's circuit; a retry waits for the circuit as any retry does."""
        return self.choice.name != "retry"


def decide(report: Report, *, backoff: Backoff) -> Recovery | None:
    """The recovery for a failed report, None when no recipe applies (the engine's default
    retry-or-fail then decides)."""
    claim, outcome = report.claim, report.outcome
    if outcome.ok:
        return None
    choice = choose(
        failure_class=outcome.failure_class,
        step_recipes=claim.recover,
        executor=claim.executor,
        executor_recipes=getattr(settings, "PLANGATE_RECOVERY", None),
        used=claim.recoveries,
    )
    if choice is None:
        return None
    recipe = choice.recipe
    event: dict[str, Any] = {
        "recipe": choice.name,
        "source": choice.source,
        "listed_as": choice.listed_as,
        "failure_class": outcome.failure_class,
        "error": outcome.error,
        "attempt": claim.attempt,
    }
    if choice.source == "executor":
        event["executor_of_recipe"] = choice.executor
    note: dict[str, Any] = {"recovery": {"recipe": choice.name, "source": choice.source}}
    if choice.name == "retry":
        limit = int(recipe.get("max_attempts") or claim.max_attempts)
        note |= {"max_attempts": limit}
        if claim.failed_attempts >= limit:
            note["recovery"]["attempts_left"] = 0
            return Recovery(
                report, choice, StepStatus.FAILED, used=list(claim.recoveries), note=note
            )
        delay = recipe.get("delay_seconds")
        delay = (
            float(delay)
            if delay is not None
            else backoff(claim.failed_attempts, outcome.retry_after)
        )
        return Recovery(
            report,
            choice,
            StepStatus.PENDING,
            delay=delay,
            used=list(claim.recoveries),
            event=event | {"max_attempts": limit, "retry_in": round(delay, 3)},
            note=note,
        )
    used = (
        [*claim.recoveries, choice.id]
        if choice.id not in claim.recoveries
        else list(claim.recoveries)
    )
    if choice.name == "fallback":
        params = dict(recipe.get("params") or {})
        return Recovery(
            report,
            choice,
            StepStatus.PENDING,
            delay=_AT_ONCE,
            run_executor=str(recipe["executor"]),
            run_params=params,
            used=used,
            event=event
            | {"from_executor": claim.executor, "executor": recipe["executor"], "params": params},
            note=note,
        )
    if choice.name == "adjust":
        patch = dict(recipe.get("patch") or {})
        return Recovery(
            report,
            choice,
            StepStatus.PENDING,
            delay=_AT_ONCE,
            run_params=merge_patch(claim.params, patch),
            used=used,
            event=event | {"patch": patch},
            note=note,
        )
    # "ask": the step fails and asks a reviewer whatever its on_failure says (plans/rescue/).
    return Recovery(
        replace(report, ask=True), choice, StepStatus.FAILED, used=used, event=event, note=note
    )


def write(recoveries: Sequence[Recovery]) -> None:
    """Keep on each step what its recovery switched it to and the recipes it has used. Called
    in the queue's transaction, for verdicts it accepted: the plans' row locks keep any claim of
    these steps waiting until this commits."""
    for recovery in recoveries:
        changes: dict[str, Any] = {}
        if recovery.used != list(recovery.report.claim.recoveries):
            changes["recoveries"] = recovery.used
        if recovery.run_executor is not None:
            changes["run_executor"] = recovery.run_executor
        if recovery.run_params is not None:
            changes["run_params"] = recovery.run_params
        if changes:
            PlanStep.objects.filter(pk=recovery.report.claim.id).update(**changes)


def event(plan: Plan, actor: Actor, recovery: Recovery) -> PlanEvent | None:
    """The step.recovering event of a recovery, None when the recipe had nothing left to do."""
    if recovery.event is None:
        return None
    return PlanEvent(
        plan=plan,
        kind=EventKind.STEP_RECOVERING,
        step_key=recovery.report.claim.key,
        actor=actor.label,
        data=recovery.event,
    )
