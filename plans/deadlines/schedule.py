"""Deadlines at submission and the timers that wait for them.

Checks a submission's deadlines (`problems`), fills in the team's defaults (`plan_deadline`,
`step_deadline`), and writes the timers a wait needs (`timers_write`), always inside the
transaction that starts the wait: the submission, a revision back to draft, a gate's hold, an
escalation, an extension. Imports only the models, so plans/services.py and plans/gates/hold.py
can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q

from plans.deadlines.rules import (
    Deadline,
    DeadlineInvalid,
    OnTimeout,
    check_on_timeout,
    parse_deadline,
)
from plans.models import DecisionTimer, Plan, PlanStep, Team, TimerKind
from plans.validation import Loc, Problem, StepDraft


def is_gate(approval: Any) -> bool:
    # A gate's approval is "required", or (with quorum) an object naming a group and a count.
    return approval not in (None, "", "none")


def problems(
    *,
    decision_deadline: Any,
    on_timeout: str | None,
    steps: Sequence[StepDraft],
    now: datetime,
    team: Team | None = None,
) -> list[Problem]:
    """Every problem with a submission's deadlines, each with its path. Without `team`, whether
    the team allows approve is not checked."""
    allow = None if team is None else team.allow_approve_on_timeout
    found: list[Problem] = []
    found.extend(_check((), decision_deadline, on_timeout, gate=False, now=now, allow=allow))
    for step in steps:
        given = step.decision_deadline is not None or step.on_timeout is not None
        if given and not is_gate(step.approval):
            found.extend(
                Problem((*step.loc, name), "only a gate (approval required) has a deadline")
                for name, value in (
                    ("decision_deadline", step.decision_deadline),
                    ("on_timeout", step.on_timeout),
                )
                if value is not None
            )
            continue
        found.extend(
            _check(
                step.loc, step.decision_deadline, step.on_timeout, gate=True, now=now, allow=allow
            )
        )
    return found


def _check(
    loc: Loc, deadline: Any, on_timeout: Any, *, gate: bool, now: datetime, allow: bool | None
) -> list[Problem]:
    found = []
    if deadline is not None:
        try:
            parse_deadline(deadline, now=now)
        except DeadlineInvalid as exc:
            found.append(Problem((*loc, "decision_deadline"), str(exc)))
    if on_timeout is not None:
        msg = check_on_timeout(on_timeout, gate=gate, allow_approve=allow)
        if msg:
            found.append(Problem((*loc, "on_timeout"), msg))
    return found


def plan_deadline(
    *, team: Team, decision_deadline: Any, on_timeout: str | None, now: datetime
) -> tuple[datetime | None, str]:
    """The plan's deadline (absolute, None for none) and on_timeout, the team's defaults
    filling in what the submission left out. Call after `problems` found none."""
    deadline: Deadline | None = None
    if decision_deadline is not None:
        deadline = parse_deadline(decision_deadline, now=now)
    elif team.decision_deadline_seconds:
        deadline = Deadline(seconds=team.decision_deadline_seconds)
    action = on_timeout or _team_default(team, gate=False)
    return (deadline.at(now) if deadline else None), action


def step_deadline(
    *, team: Team | None, draft: StepDraft, now: datetime
) -> tuple[float | None, datetime | None, str]:
    """A gate's deadline as stored on its step: (seconds, until, on_timeout); all empty for a
    step without one."""
    if not is_gate(draft.approval):
        return None, None, ""
    deadline: Deadline | None = None
    if draft.decision_deadline is not None:
        deadline = parse_deadline(draft.decision_deadline, now=now)
    elif team is not None and team.gate_deadline_seconds:
        deadline = Deadline(seconds=team.gate_deadline_seconds)
    if deadline is None:
        return None, None, ""
    action = draft.on_timeout or (_team_default(team, gate=True) if team else OnTimeout.CANCEL)
    return deadline.seconds, deadline.until, action


def _team_default(team: Team, *, gate: bool) -> str:
    # A team default of approve is only honoured while the team allows approving on timeout.
    if team.on_timeout == OnTimeout.APPROVE and not team.allow_approve_on_timeout:
        return OnTimeout.CANCEL
    if team.on_timeout == OnTimeout.SKIP and not gate:
        return OnTimeout.CANCEL
    return team.on_timeout


def timers_write(*, plan: Plan, step_key: str, deadline_at: datetime, now: datetime) -> None:
    """The timers of one wait: the deadline, and a reminder at each of the team's reminder
    points before it that is still ahead. Called inside the transaction starting the wait."""
    reminders = sorted(set(plan.team.reminder_seconds or []), reverse=True)
    rows = [
        DecisionTimer(
            plan=plan,
            step_key=step_key,
            kind=TimerKind.REMINDER,
            fire_at=deadline_at - timedelta(seconds=r),
            deadline_at=deadline_at,
        )
        for r in reminders
        if deadline_at - timedelta(seconds=r) > now
    ]
    rows.append(
        DecisionTimer(
            plan=plan,
            step_key=step_key,
            kind=TimerKind.DEADLINE,
            fire_at=deadline_at,
            deadline_at=deadline_at,
        )
    )
    DecisionTimer.objects.bulk_create(rows)


def timers_drop(*, plan: Plan, step_key: str) -> None:
    """Delete the wait's unfired timers, except those a worker is firing right now: they are
    left alone rather than waited for (the worker holds them and waits for the plan's lock,
    which the caller holds), and find their deadline replaced, so they fire as no-ops."""
    pending = DecisionTimer.objects.filter(plan=plan, step_key=step_key, fired_at=None)
    if connection.vendor == "postgresql":
        pending = pending.filter(
            pk__in=list(pending.select_for_update(skip_locked=True).values_list("pk", flat=True))
        )
    pending.delete()


def plan_timers_restart(*, plan: Plan, now: datetime) -> None:
    """A plan back to draft (a revision) waits again for its decision, by the same deadline:
    revising does not reset it. Writes its timers unless they are still waiting."""
    if plan.deadline_at is None:
        return
    if DecisionTimer.objects.filter(
        plan=plan, step_key="", kind=TimerKind.DEADLINE, fired_at=None, deadline_at=plan.deadline_at
    ).exists():
        return
    timers_write(plan=plan, step_key="", deadline_at=plan.deadline_at, now=now)


def gates_start(*, step_ids: Sequence[int], now: datetime) -> None:
    """Gates that now wait for a reviewer start their deadlines: each one's deadline in force
    is set and its timers written. Called by the hold, in its transaction."""
    steps = list(
        PlanStep.objects.filter(pk__in=step_ids)
        .filter(Q(deadline_seconds__isnull=False) | Q(deadline_until__isnull=False))
        .select_related("plan__team")
    )
    for step in steps:
        deadline = Deadline(seconds=step.deadline_seconds, until=step.deadline_until)
        # An absolute time already passed while the gate waited for its inputs: the timer is
        # due at once.
        step.deadline_at = deadline.at(now)
        step.save(update_fields=["deadline_at"])
        timers_write(plan=step.plan, step_key=step.key, deadline_at=step.deadline_at, now=now)
