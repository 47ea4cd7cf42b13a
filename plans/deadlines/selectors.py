"""Reads about deadlines: the one a plan or gate waits for, and the escalation chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from plans.deadlines.rules import OnTimeout
from plans.models import ApproverGroup, Plan, PlanStep, Team
from plans.states import PlanStatus, StepStatus

# A plan's decision is pending while it is a draft; with changes requested the deadline still
# stands, for the revision that makes it a draft again.
PLAN_PENDING = (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED)
# A gate not yet reached still shows what it will wait for, while the plan may reach it.
GATE_NOT_YET = (StepStatus.PENDING,)


def next_group(team: Team | Any, current: ApproverGroup | None) -> ApproverGroup | None:
    """The group a decision escalates to from `current`: the next rank up in the team's
    escalation chain; from no group (or one outside the chain), the lowest rank."""
    chain = ApproverGroup.objects.filter(
        team_id=team if isinstance(team, int) else team.pk, escalation_rank__isnull=False
    ).order_by("escalation_rank")
    if current is not None and current.escalation_rank is not None:
        chain = chain.filter(escalation_rank__gt=current.escalation_rank)
    return chain.first()


def _deadline(
    *,
    at: datetime | None,
    on_timeout: str,
    team_id: int,
    group: ApproverGroup | None,
    seconds: float | None = None,
) -> dict[str, Any]:
    escalates_to = None
    if on_timeout == OnTimeout.ESCALATE:
        target = next_group(team_id, group)
        escalates_to = target.name if target else None
    return {"at": at, "seconds": seconds, "on_timeout": on_timeout, "escalates_to": escalates_to}


def plan_deadline(plan: Plan) -> dict[str, Any] | None:
    """The plan's deadline while its decision is pending, else None."""
    if plan.deadline_at is None or plan.status not in PLAN_PENDING:
        return None
    return _deadline(
        at=plan.deadline_at,
        on_timeout=plan.on_timeout,
        team_id=plan.team_id,
        group=plan.approver_group,
    )


def step_deadline(step: PlanStep) -> dict[str, Any] | None:
    """A gate's deadline: the one in force while it waits, the one it will have before; None
    once decided or without one."""
    if not step.on_timeout:
        return None
    at: datetime | None
    seconds: float | None
    if step.status == StepStatus.AWAITING_APPROVAL and step.deadline_at is not None:
        at, seconds = step.deadline_at, None
    elif step.status in GATE_NOT_YET and step.gate_approved_at is None:
        at, seconds = step.deadline_until, step.deadline_seconds
    else:
        return None
    return _deadline(
        at=at,
        seconds=seconds,
        on_timeout=step.on_timeout,
        team_id=step.plan.team_id,
        group=step.approval_group,
    )


def pending_deadline(plan: Plan, step_key: str) -> datetime | None:
    """The deadline in force of the plan's (step_key "") or a gate's pending decision, None if
    there is no such decision with a deadline. Read under the plan's lock by the services."""
    if not step_key:
        return plan.deadline_at if plan.status == PlanStatus.DRAFT else None
    step = plan.steps.filter(key=step_key, status=StepStatus.AWAITING_APPROVAL).first()
    return step.deadline_at if step is not None else None


def in_words(seconds: float) -> str:
    """'2 h 5 min', '45 s', '3 d 2 h': how long until a deadline, for the page."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def remaining(at: datetime) -> float:
    return (at - timezone.now()).total_seconds()
