"""A reviewer's rescue of a plan that needs attention: retry the failed step, or fail the plan.

(Skipping the failed step is the ordinary `plans.services.step_skip`, which resumes the plan.)
Each decision names the plan version the reviewer saw, as an approval does, and takes the plan's
row lock first: of two reviewers deciding at once, the first wins and the second finds the plan
moved on (409). Each is an event, written in the same transaction and published after commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from executors.protocol import FailureClass
from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.models import EventKind, Plan, PlanStep
from plans.rescue.rules import AWAITING_RESCUE
from plans.services import (
    PLAN_FAILED_SKIP_REASON,
    Actor,
    _lock,
    _record,
    _stop_after_failure,
    check_executor,
    notify_workers,
    resume_if_rescued,
)
from plans.states import (
    DomainError,
    InvalidTransition,
    PlanStatus,
    StaleVersion,
    StepStatus,
    plan_transition,
    step_transition,
)
from plans.validation import PlanInvalid, Problem

STOPPED_REASON = "stopped: the plan was failed by a reviewer"


def _check_needs_attention(plan: Plan, version: int, verb: str) -> None:
    if plan.status != PlanStatus.NEEDS_ATTENTION:
        raise InvalidTransition(f"cannot {verb}: the plan is {plan.status.replace('_', ' ')}")
    if version != plan.version:
        raise StaleVersion(
            f"the plan changed since version {version}; look at version {plan.version} "
            "and decide again",
            current_version=plan.version,
        )


@transaction.atomic
def step_retry(
    *, plan: Plan, key: str, actor: Actor, version: int, params: dict[str, Any] | None = None
) -> PlanStep:
    """Run a step that failed and asked for help once more, as a new attempt, optionally with
    new params (checked as at submission). Its attempts are not reset and its error stays in
    the event log. The plan goes back to executing (workers are woken) unless another failed
    step still awaits a decision.

    Raises PlanStep.DoesNotExist for an unknown key, PlanInvalid for bad params (paths under
    "params"), StaleVersion when the plan changed since `version`, and InvalidTransition
    unless the plan needs attention and this step awaits a rescue.
    """
    # The plan lock first, as everywhere: a second reviewer's decision, a cancel, or a worker
    # recording a step's end waits here and then sees what this one did.
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.RETRY)
    if "\x00" in key:
        raise PlanStep.DoesNotExist(f"no step {key!r}")
    step = plan.steps.get(key=key)
    _check_needs_attention(plan, version, f"retry step {key!r}")
    if not plan.steps.filter(AWAITING_RESCUE, pk=step.pk).exists():
        raise InvalidTransition(f"cannot retry step {key!r}: it is not a failed step to rescue")
    changed = params is not None and params != step.params
    if params is not None:
        problems = [
            Problem(("params",) if where == "params" else (where,), msg)
            for where, msg in check_executor(step.executor, params)
        ]
        if problems:
            raise PlanInvalid(problems)
        step.params = params
        # The reviewer's params are for the step's own executor: what a recovery switched it
        # to (plans/recovery/) gives way to them.
        step.run_executor, step.run_params = "", None
    error, failure_class = step.error, step.failure_class
    step.status = step_transition(step.status, StepStatus.PENDING, key=key)
    step.error = ""
    step.failure_class = ""
    step.finished_at = None
    step.run_after = None
    step.save(
        update_fields=[
            "status",
            "params",
            "error",
            "failure_class",
            "finished_at",
            "run_after",
            "run_executor",
            "run_params",
        ]
    )
    data: dict[str, Any] = {
        "version": plan.version,
        "attempt": step.attempts + 1,
        "error": error,
        "failure_class": failure_class,
        "params_changed": changed,
    }
    if changed:
        data["params"] = step.params
    _record(plan, EventKind.STEP_RETRIED, actor, step_key=key, data=data)
    resume_if_rescued(plan, actor)
    return step


@transaction.atomic
def plan_fail(*, plan: Plan, actor: Actor, version: int, reason: str) -> Plan:
    """End a plan that needs attention as failed, at once: as any failure ends a plan, steps
    that depend on a failed step fail (dependency_failed) and the other pending steps are
    skipped; steps still running are stopped (failed as cancelled) and their workers told.

    Raises StaleVersion when the plan changed since `version`, InvalidTransition unless the
    plan needs attention, and DomainError without a reason.
    """
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.FAIL)
    _check_needs_attention(plan, version, "fail the plan")
    if not reason.strip():
        raise DomainError("give a reason for failing the plan")
    now = timezone.now()
    running = plan.steps.filter(status=StepStatus.IN_PROGRESS).exclude(lease_owner="")
    stopped = list(running.values_list("key", flat=True))
    # The reviewer ended the plan: what runs now would only be thrown away. Its workers see
    # the step is no longer theirs and stop it; a late result is refused by the fence.
    running.update(
        status=step_transition(StepStatus.IN_PROGRESS, StepStatus.FAILED),
        error=STOPPED_REASON,
        failure_class=FailureClass.CANCELLED,
        finished_at=now,
        lease_owner="",
        lease_expires_at=None,
    )
    _stop_after_failure(plan, actor, now)
    failed = list(
        plan.steps.filter(status=StepStatus.FAILED, parent=None).values_list("key", flat=True)
    )
    skipped = list(
        plan.steps.filter(
            status=StepStatus.SKIPPED, skip_reason=PLAN_FAILED_SKIP_REASON
        ).values_list("key", flat=True)
    )
    plan.status = plan_transition(plan.status, PlanStatus.FAILED)
    plan.finished_at = now
    plan.save(update_fields=["status", "finished_at", "updated_at"])
    _record(
        plan,
        EventKind.PLAN_FAILED,
        actor,
        data={
            "reason": reason.strip(),
            "version": version,
            "failed": failed,
            "skipped": skipped,
            "stopped": stopped,
        },
    )
    if stopped:
        notify_workers()
    return plan
