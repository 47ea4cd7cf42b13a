"""A reviewer's decision on a gate: approve the step, with its params as they are or edited.

Skipping a gate is `plans.services.step_skip`, cancelling its plan `plans.services.plan_cancel`,
as for any step; both take the plan's row lock, as this does, so of two decisions on one gate
exactly one wins.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.approvals import services as approvals
from plans.models import Approval, EventKind, Plan, PlanStep
from plans.services import Actor, _lock, _record, check_executor, notify_workers
from plans.states import (
    DomainError,
    InvalidTransition,
    PlanStatus,
    StaleVersion,
    StepStatus,
    step_transition,
)
from plans.validation import PlanInvalid, Problem

# A gate is decided while its plan runs (also while it waits for help with another step: the
# approved step then runs once the plan goes on).
PLAN_STATUSES_ALLOWING_DECISION = frozenset({PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION})


@transaction.atomic
def step_approve(
    *,
    plan: Plan,
    key: str,
    actor: Actor,
    version: int,
    params: dict[str, Any] | None = None,
) -> PlanStep:
    """Approve a step awaiting approval: it goes back to pending, ready for a worker, once its
    quorum is reached (`step.approval_count` approvals from its group, else from the plan's
    approvers; plans/approvals/). Until then the approval is recorded (`approval.recorded`) and
    the step keeps waiting. The same approver counts once; an approval of a gate someone else
    just released is recorded too. A deadline or rule (neither a person nor a token) approves
    outright.

    With `params`, the step's params are first replaced (checked as at submission); the
    `step.approved` event records the old and the new ones. The plan's version does not go up
    (it is executing; versions count what a reviewer must see before approving the plan), but
    the decision is bound to `version`, the one the reviewer saw.

    Raises PlanStep.DoesNotExist for an unknown key, StaleVersion if the plan's version moved
    on, InvalidTransition unless the step awaits approval in a running plan (another decision
    came first, naming the step's status now), PlanInvalid for bad params, NotAnApprover for
    someone whose approval does not count here, and DomainError for params edited once others
    approved the step as it was.
    """
    # The plan's row lock: skips, cancels, finishes and other approvals of this plan wait for
    # it, so the status read below is the one this decision replaces.
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.GATE_APPROVE)
    if "\x00" in key:
        # No key holds one (submission refuses them), and PostgreSQL cannot even compare it.
        raise PlanStep.DoesNotExist(f"no step {key!r}")
    step = plan.steps.get(key=key)
    if plan.status not in PLAN_STATUSES_ALLOWING_DECISION:
        raise InvalidTransition(f"cannot approve step {key!r}: the plan is {plan.status}")
    if (
        step.status != StepStatus.AWAITING_APPROVAL
        and step.gate_approved_at is not None
        and version == plan.version
        and approvals.is_person_or_token(actor)
        and params is None
        and approvals.decided_by_quorum(plan=plan, step_key=key, version=version)
        and not approvals.has_approved(plan=plan, step_key=key, version=version, actor=actor)
    ):
        # Two approvals raced for the gate's last place and the other won (the lock above made
        # this one wait): this one is still an approval of what was shown, recorded as such.
        _count(plan, step, actor)
        return step
    if step.status != StepStatus.AWAITING_APPROVAL:
        raise InvalidTransition(_not_awaiting(step))
    if version != plan.version:
        raise StaleVersion(
            f"the plan changed since version {version}; "
            f"review version {plan.version} and decide again",
            current_version=plan.version,
        )
    data: dict[str, Any] = {"version": plan.version}
    fields = ["status", "gate_approved_by", "gate_approved_at"]
    if params is not None and params != step.params:
        if Approval.objects.filter(plan=plan, step_key=key, version=plan.version).exists():
            # The others approved the params as they were; changing them now would run what
            # they did not approve.
            raise DomainError(
                f"step {key!r} has approvals of its params as they are; approve them unchanged"
            )
        problems = check_executor(step.executor, params)
        if problems:
            raise PlanInvalid([Problem((where,), msg) for where, msg in problems])
        data |= {"params_before": step.params, "params": params}
        step.params = params
        step.gate_params_edited = True
        fields += ["params", "gate_params_edited"]
    if not _count(plan, step, actor, {k: v for k, v in data.items() if k != "version"}).reached:
        # Short of its quorum: the edited params (if any) stand, for the next approvers to see.
        step.save(update_fields=[f for f in fields if f in ("params", "gate_params_edited")])
        return step
    step.status = step_transition(step.status, StepStatus.PENDING, key=key)
    step.gate_approved_by = actor.label
    step.gate_approved_at = timezone.now()
    step.save(update_fields=fields)
    _record(plan, EventKind.STEP_APPROVED, actor, step_key=key, data=data)
    # A worker claims it as soon as this commits, rather than at its next poll.
    notify_workers()
    return step


def _count(
    plan: Plan, step: PlanStep, actor: Actor, extra: dict[str, Any] | None = None
) -> approvals.Tally:
    """Count the actor's approval of the gate (called with the plan locked), recording an
    `approval.recorded` event for a new one."""
    tally = approvals.approval_add(
        plan=plan,
        step_key=step.key,
        version=plan.version,
        actor=actor,
        required=step.approval_count,
        group=step.approval_group or plan.approver_group,
    )
    # The approval that reaches the quorum is told by step.approved; the others each by theirs.
    if tally.added and (not tally.reached or step.gate_approved_at is not None):
        _record(
            plan,
            EventKind.APPROVAL_RECORDED,
            actor,
            step_key=step.key,
            data={
                "version": plan.version,
                "count": tally.count,
                "required": tally.required,
                **(extra or {}),
            },
        )
    return tally


def _not_awaiting(step: PlanStep) -> str:
    status = step.get_status_display().lower()
    if step.gate_approved_at is not None:
        return (
            f"cannot approve step {step.key!r}: it is {status}; "
            f"{step.gate_approved_by} approved it already"
        )
    if step.status == StepStatus.SKIPPED:
        return f"cannot approve step {step.key!r}: it is skipped ({step.skip_reason})"
    return f"cannot approve step {step.key!r}: it is {status}, not awaiting approval"
