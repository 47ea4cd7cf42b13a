"""Changes to deadlines: a reviewer extends one, and a timer fires (a reminder, or the deadline
passing: cancel, skip, approve or escalate, through the services any reviewer's decision goes
through).

Each takes the plan's row lock first, as every service does, and decides on the decision as it
is under that lock: a timer whose decision was taken meanwhile, or whose deadline moved (an
extension, an escalation), does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from plans import services
from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.deadlines.rules import TIMEOUT_REASON, OnTimeout
from plans.deadlines.schedule import timers_drop, timers_write
from plans.deadlines.selectors import next_group, pending_deadline
from plans.gates.services import step_approve
from plans.models import DecisionSource, DecisionTimer, EventKind, Plan, PlanStep, TimerKind
from plans.services import Actor, _lock, _record
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid, Problem

logger = logging.getLogger(__name__)

# Who acts when a deadline passes.
TIMEOUT_ACTOR = Actor(label="system:timeout", source=DecisionSource.TIMEOUT)


class NoPendingDeadline(DomainError):
    """There is no pending decision with a deadline to extend."""


@transaction.atomic
def deadline_extend(
    *,
    plan: Plan,
    actor: Actor,
    step_key: str = "",
    seconds: float | None = None,
    until: datetime | None = None,
    reason: str = "",
    version: int | None = None,
) -> Plan:
    """Move the deadline of the plan's pending decision (step_key "") or of a gate awaiting
    approval: by `seconds` (from the deadline, or from now if it has passed) or to `until`.
    The wait's timers are replaced in the same transaction.

    Raises StaleVersion if `version` is given and is not the plan's, PlanStep.DoesNotExist for
    an unknown gate, NoPendingDeadline when nothing waits with a deadline (naming the state),
    and PlanInvalid for a bad extension.
    """
    # Under the plan lock: a timer firing for this deadline waits for it, then finds the
    # deadline moved and does nothing.
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.EXTEND_DEADLINE)
    if version is not None and version != plan.version:
        raise StaleVersion(
            f"the plan changed since version {version}; look at version {plan.version}",
            current_version=plan.version,
        )
    step: PlanStep | None = None
    if step_key:
        if "\x00" in step_key:
            raise PlanStep.DoesNotExist(f"no step {step_key!r}")
        step = plan.steps.get(key=step_key)
    old = pending_deadline(plan, step_key)
    if old is None:
        if step is None:
            raise NoPendingDeadline(
                f"the plan is {plan.status}: no decision on it is pending with a deadline"
            )
        raise NoPendingDeadline(
            f"step {step_key!r} is {step.status}: no decision on it is pending with a deadline"
        )
    now = timezone.now()
    if (seconds is None) == (until is None):
        raise PlanInvalid([Problem(("seconds",), "give either 'seconds' or 'until'")])
    if seconds is not None:
        if seconds <= 0:
            raise PlanInvalid([Problem(("seconds",), "must be a positive number")])
        new = max(old, now) + timedelta(seconds=seconds)
    else:
        assert until is not None  # noqa: S101 - one of the two, checked above
        if until.tzinfo is None:
            raise PlanInvalid([Problem(("until",), "the time needs a time zone (Z or +01:00)")])
        if until <= max(old, now):
            raise PlanInvalid(
                [
                    Problem(
                        ("until",),
                        f"must be later than the deadline now ({old.isoformat()}) and than now",
                    )
                ]
            )
        new = until
    _move(plan, step, new)
    timers_drop(plan=plan, step_key=step_key)
    timers_write(plan=plan, step_key=step_key, deadline_at=new, now=now)
    _record(
        plan,
        EventKind.DEADLINE_EXTENDED,
        actor,
        step_key=step_key,
        data={
            "old": old.isoformat(),
            "new": new.isoformat(),
            "by": actor.label,
            "reason": reason.strip(),
        },
    )
    return plan


def _move(plan: Plan, step: PlanStep | None, deadline: datetime) -> None:
    if step is None:
        plan.deadline_at = deadline
        plan.save(update_fields=["deadline_at", "updated_at"])
    else:
        step.deadline_at = deadline
        step.save(update_fields=["deadline_at"])


@transaction.atomic
def timer_fire(*, timer: DecisionTimer, actor: Actor = TIMEOUT_ACTOR) -> str:
    """Act on a due timer, under the plan's lock: a reminder records `deadline.soon`; a
    deadline records `decision.timed_out` and does what on_timeout says. Does nothing if the
    decision was taken or the deadline moved. Returns what it did, for the timer's record."""
    plan = _lock(timer.plan)
    current = pending_deadline(plan, timer.step_key)
    if current is None:
        return f"nothing to do: decided ({plan.status})"
    if current != timer.deadline_at:
        return "nothing to do: the deadline moved"
    now = timezone.now()
    if timer.kind == TimerKind.REMINDER:
        _record(
            plan,
            EventKind.DEADLINE_SOON,
            TIMEOUT_ACTOR,
            step_key=timer.step_key,
            data={
                "deadline": current.isoformat(),
                "seconds_left": max(int((current - now).total_seconds()), 0),
            },
        )
        return "reminded"
    step = plan.steps.get(key=timer.step_key) if timer.step_key else None
    action = (step.on_timeout if step is not None else plan.on_timeout) or OnTimeout.CANCEL
    if action == OnTimeout.ESCALATE:
        return _escalate(plan, step, timer, actor, now)
    _record(
        plan,
        EventKind.DECISION_TIMED_OUT,
        actor,
        step_key=timer.step_key,
        data={"deadline": current.isoformat(), "action": action},
    )
    try:
        # A savepoint: a refused action (the content no longer matches its revision) rolls
        # back alone, and the fail-safe cancel below still happens.
        with transaction.atomic():
            _act(plan, step, action, actor)
    except DomainError as exc:
        if action == OnTimeout.CANCEL:
            raise
        logger.warning("plan %s: on_timeout %s refused (%s); cancelling", plan.pk, action, exc)
        services.plan_cancel(plan=plan, actor=actor, reason=f"{TIMEOUT_REASON}; {action}: {exc}")
        return f"cancel ({action} refused: {exc})"[:200]
    return action


def _act(plan: Plan, step: PlanStep | None, action: str, actor: Actor) -> None:
    if action == OnTimeout.APPROVE and step is None:
        services.plan_approve(plan=plan, actor=actor, version=plan.version)
    elif action == OnTimeout.APPROVE and step is not None:
        step_approve(plan=plan, key=step.key, actor=actor, version=plan.version)
    elif action == OnTimeout.SKIP and step is not None:
        services.step_skip(plan=plan, key=step.key, actor=actor, reason=TIMEOUT_REASON)
    else:
        services.plan_cancel(plan=plan, actor=actor, reason=TIMEOUT_REASON)


def _escalate(
    plan: Plan, step: PlanStep | None, timer: DecisionTimer, actor: Actor, now: datetime
) -> str:
    """Pass the decision to the next group of the escalation chain, with a new deadline; at the
    end of the chain, cancel (fail safe)."""
    current_group = step.approval_group if step is not None else plan.approver_group
    target = next_group(plan.team, current_group)
    data: dict[str, Any] = {"deadline": timer.deadline_at.isoformat(), "action": "escalate"}
    if target is None:
        data |= {
            "action": "cancel",
            "escalation": "no further approver group in the team's escalation chain",
        }
        _record(plan, EventKind.DECISION_TIMED_OUT, actor, step_key=timer.step_key, data=data)
        services.plan_cancel(
            plan=plan, actor=actor, reason=f"{TIMEOUT_REASON}; no one left to escalate to"
        )
        return "cancel (end of the escalation chain)"
    _record(plan, EventKind.DECISION_TIMED_OUT, actor, step_key=timer.step_key, data=data)
    length = _length(plan, step, timer)
    if plan.team.escalation_deadline_seconds:
        length = timedelta(seconds=plan.team.escalation_deadline_seconds)
    new = now + length
    if step is None:
        plan.approver_group = target
        plan.deadline_at = new
        plan.save(update_fields=["approver_group", "deadline_at", "updated_at"])
    else:
        step.approval_group = target
        step.deadline_at = new
        step.save(update_fields=["approval_group", "deadline_at"])
    timers_write(plan=plan, step_key=timer.step_key, deadline_at=new, now=now)
    _record(
        plan,
        EventKind.DECISION_ESCALATED,
        actor,
        step_key=timer.step_key,
        data={
            "from": current_group.name if current_group else None,
            "to": target.name,
            "deadline": new.isoformat(),
        },
    )
    return f"escalated to {target.name}"


def _length(plan: Plan, step: PlanStep | None, timer: DecisionTimer) -> timedelta:
    """How long the first wait was: a new deadline after an escalation is as long."""
    if step is None and plan.decision_deadline is not None:
        return max(plan.decision_deadline - plan.created_at, timedelta(seconds=1))
    if step is not None and step.deadline_seconds:
        return timedelta(seconds=step.deadline_seconds)
    return max(timer.deadline_at - timer.created_at, timedelta(seconds=1))
