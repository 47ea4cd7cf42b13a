"""The audit trail of a team's decisions, and how long its decisions take.

A decision is an event a person, a token, a policy or a deadline caused: approvals (whole or one
of a quorum), cancels, requests for changes, revisions, gate approvals, skips, retries, a plan
failed by a reviewer, and what deadlines do (time out, escalate, extend). Workers and the system
also write some of these kinds (a plan failed by its steps); those carry no `source` and no
person's or token's label, and are left out.

Time to decision: a wait starts when a plan is submitted or revised into a draft, or when a gate
starts awaiting approval; it ends with the decision that closes it (the plan approved, cancelled,
sent back for changes, timed out; the gate approved, skipped, timed out, or its plan cancelled).
A revision of a draft still waiting keeps the wait going from its start: the reviewers were asked
then. Each wait counts in the ISO week its decision fell in.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from plans.inbox.selectors import InboxItem, ItemKind, inbox_for_team
from plans.models import EventKind, Membership, PlanEvent, Team, TeamEvent

# Always a decision, whoever wrote them.
DECISION_KINDS = frozenset(
    {
        EventKind.PLAN_APPROVED,
        EventKind.APPROVAL_RECORDED,
        EventKind.PLAN_CANCELLED,
        EventKind.PLAN_CHANGES_REQUESTED,
        EventKind.STEP_APPROVED,
        EventKind.STEP_RETRIED,
        EventKind.DECISION_TIMED_OUT,
        EventKind.DECISION_ESCALATED,
        EventKind.DEADLINE_EXTENDED,
        EventKind.PLAN_REVISED,
    }
)
# A decision only when someone (not a worker or the system) did it: a step skipped by a
# reviewer, a plan a reviewer failed; a plan whose steps failed fails on its own.
DECIDED_BY_SOMEONE_KINDS = frozenset({EventKind.STEP_SKIPPED, EventKind.PLAN_FAILED})
# Actor labels of people and tokens, for events written before sources were recorded.
SOMEONE_PREFIXES = ("user:", "token:")

# The export's columns, in order: the CSV header and every JSON row's keys.
COLUMNS = (
    "id",
    "at",
    "plan_id",
    "plan_title",
    "step_key",
    "kind",
    "actor",
    "username",
    "role",
    "source",
    "version",
    "reason",
)

PLAN_WAIT_STARTS = frozenset({EventKind.PLAN_CREATED, EventKind.PLAN_REVISED})
PLAN_WAIT_ENDS = frozenset(
    {
        EventKind.PLAN_APPROVED,
        EventKind.PLAN_CANCELLED,
        EventKind.PLAN_CHANGES_REQUESTED,
        EventKind.DECISION_TIMED_OUT,
    }
)
GATE_WAIT_ENDS = frozenset(
    {EventKind.STEP_APPROVED, EventKind.STEP_SKIPPED, EventKind.DECISION_TIMED_OUT}
)
# Every kind the export and the time to decision read: pruning old events keeps these.
AUDIT_KINDS = frozenset(
    DECISION_KINDS
    | DECIDED_BY_SOMEONE_KINDS
    | PLAN_WAIT_STARTS
    | PLAN_WAIT_ENDS
    | GATE_WAIT_ENDS
    | {EventKind.STEP_AWAITING_APPROVAL}
)


@dataclass(frozen=True)
class Decision:
    """One row of the audit export."""

    id: int
    at: datetime
    # None for a change to the team's own settings (a TeamEvent: its policy).
    plan_id: UUID | None
    plan_title: str
    step_key: str
    kind: str
    actor: str
    username: str
    role: str
    source: str
    version: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


def _decision_events(team: Team) -> QuerySet[PlanEvent]:
    someone = ~Q(source="") | Q(actor__startswith=SOMEONE_PREFIXES[0])
    for prefix in SOMEONE_PREFIXES[1:]:
        someone |= Q(actor__startswith=prefix)
    return PlanEvent.objects.filter(
        Q(kind__in=DECISION_KINDS) | Q(kind__in=DECIDED_BY_SOMEONE_KINDS) & someone,
        plan__team=team,
    )


def decisions_for_team(
    team: Team,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    after: tuple[datetime, int] | None = None,
) -> QuerySet[PlanEvent]:
    """The team's decision events from `since` (inclusive) to `until` (exclusive), oldest first
    (by time, then id), starting after the (time, id) `after` when given. Turn each into a row
    with `decision_row`."""
    events = _decision_events(team)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    if after is not None:
        at, event_id = after
        events = events.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=event_id))
    return events.select_related("plan", "actor_user").order_by("created_at", "id")


def _version(data: dict[str, Any]) -> int | None:
    value = data.get("version")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _reason(data: dict[str, Any]) -> str:
    # Cancels, skips, failures and deadline changes carry a reason; requests for changes and
    # revisions a comment; whatever else carries text names it so.
    for key in ("reason", "comment", "body", "detail"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def decision_row(event: PlanEvent) -> Decision:
    data = event.data if isinstance(event.data, dict) else {}
    source = event.source
    if not source and event.kind == EventKind.PLAN_APPROVED:
        # Approvals recorded where their source was: `via` on the event itself.
        source = str(data.get("via", ""))
    user = event.actor_user
    return Decision(
        id=event.pk,
        at=event.created_at,
        plan_id=event.plan_id,
        plan_title=event.plan.display_title,
        step_key=event.step_key,
        kind=event.kind,
        actor=event.actor,
        username=user.get_username() if user is not None else "",
        role=event.role,
        source=source,
        version=_version(data),
        reason=_reason(data),
    )


def decision_rows(events: QuerySet[PlanEvent], *, chunk_size: int = 500) -> Iterator[Decision]:
    """Rows of every event, read in chunks: a long export never holds them all at once."""
    for event in events.iterator(chunk_size=chunk_size):
        yield decision_row(event)


# --- Changes to the team's own settings (TeamEvents: its policy) --------------------------------


def team_event_row(event: TeamEvent) -> Decision:
    data = event.data if isinstance(event.data, dict) else {}
    user = event.actor_user
    return Decision(
        id=event.pk,
        at=event.created_at,
        plan_id=None,
        plan_title="",
        step_key="",
        kind=event.kind,
        actor=event.actor,
        username=user.get_username() if user is not None else "",
        role=event.role,
        source=event.source,
        version=_version(data),
        reason=_reason(data),
    )


def audit_rows(
    team: Team,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    after: tuple[datetime, int] | None = None,
) -> Iterator[Decision]:
    """The audit's rows: the decisions on the team's plans and the changes to its settings
    (team events), merged oldest first by (time, id), each read in chunks."""
    changes = TeamEvent.objects.filter(team=team)
    if since is not None:
        changes = changes.filter(created_at__gte=since)
    if until is not None:
        changes = changes.filter(created_at__lt=until)
    if after is not None:
        at, event_id = after
        changes = changes.filter(Q(created_at__gt=at) | Q(created_at=at, id__gt=event_id))
    changes = changes.select_related("actor_user").order_by("created_at", "id")
    return heapq.merge(
        decision_rows(decisions_for_team(team, since=since, until=until, after=after)),
        (team_event_row(e) for e in changes.iterator(chunk_size=500)),
        key=lambda row: (row.at, row.id),
    )


# --- The team admins' page ------------------------------------------------------------------------


def role_in_team(user: Any, team_id: int) -> str | None:
    """The user's role in the team, None if they are not a member (or the team is not there)."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(team_id=team_id, user=user).values_list("role", flat=True).first()
    )


def waiting_now(team: Team) -> list[InboxItem]:
    """Plans in draft and gates awaiting approval, longest wait first."""
    return [i for i in inbox_for_team(team) if i.kind in (ItemKind.DRAFT, ItemKind.GATE)]


@dataclass
class WeekFigures:
    """One ISO week: how long its decisions took, and its timeouts and escalations."""

    year: int
    week: int
    monday: date
    waits: list[timedelta] = field(default_factory=list)
    timeouts: int = 0
    escalations: int = 0

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def decided(self) -> int:
        return len(self.waits)

    @property
    def median(self) -> timedelta | None:
        if not self.waits:
            return None
        return timedelta(seconds=statistics.median(w.total_seconds() for w in self.waits))

    @property
    def p90(self) -> timedelta | None:
        return percentile(self.waits, 90)


def percentile(values: list[timedelta], pct: int) -> timedelta | None:
    """The nearest-rank percentile: the smallest value at least `pct`% of values are at or
    below. A value that happened, never an interpolation between two."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _week_of(moment: datetime) -> tuple[int, int]:
    year, week, _ = timezone.localtime(moment).isocalendar()
    return year, week


def waits_ended(team: Team, *, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """(start, decision) of every wait of the team's plans decided from `since` to `until`."""
    ending = PlanEvent.objects.filter(
        plan__team=team,
        kind__in=PLAN_WAIT_ENDS | GATE_WAIT_ENDS,
        created_at__gte=since,
        created_at__lt=until,
    ).values("plan_id")
    events = (
        PlanEvent.objects.filter(
            plan_id__in=ending,
            kind__in=PLAN_WAIT_STARTS
            | PLAN_WAIT_ENDS
            | GATE_WAIT_ENDS
            | {EventKind.STEP_AWAITING_APPROVAL},
            created_at__lt=until,
        )
        .order_by("plan_id", "created_at", "id")
        .values_list("plan_id", "kind", "step_key", "created_at")
    )
    waits: list[tuple[datetime, datetime]] = []
    # Per plan: when its own wait began, and each gate's; None when nothing waits.
    plan_open: dict[UUID, datetime | None] = {}
    gates_open: dict[UUID, dict[str, datetime]] = defaultdict(dict)

    def close(start: datetime, end: datetime) -> None:
        if end >= since:
            waits.append((start, end))

    for plan_id, kind, step_key, at in events.iterator(chunk_size=2000):
        gates = gates_open[plan_id]
        if kind in PLAN_WAIT_STARTS:
            if plan_open.get(plan_id) is None:
                plan_open[plan_id] = at
        elif kind == EventKind.STEP_AWAITING_APPROVAL:
            gates.setdefault(step_key, at)
        elif step_key:
            if kind in GATE_WAIT_ENDS and step_key in gates:
                close(gates.pop(step_key), at)
        elif kind in PLAN_WAIT_ENDS:
            started = plan_open.pop(plan_id, None)
            if started is not None:
                close(started, at)
            if kind == EventKind.PLAN_CANCELLED:
                # Its gates will never be decided one by one: the cancel decided them.
                for started_gate in gates.values():
                    close(started_gate, at)
                gates.clear()
    return waits


def weekly_figures(team: Team, *, since: datetime, until: datetime) -> list[WeekFigures]:
    """Every ISO week from `since` to `until`, oldest first, with the waits decided in it and
    its timeouts and escalations (weeks with none of these included, as zeros)."""
    weeks: dict[tuple[int, int], WeekFigures] = {}
    day = timezone.localtime(since).date()
    last = timezone.localtime(until - timedelta(microseconds=1)).date()
    day -= timedelta(days=day.weekday())
    while day <= last:
        year, week, _ = day.isocalendar()
        weeks[(year, week)] = WeekFigures(year=year, week=week, monday=day)
        day += timedelta(days=7)
    for start, end in waits_ended(team, since=since, until=until):
        weeks[_week_of(end)].waits.append(end - start)
    counted = PlanEvent.objects.filter(
        plan__team=team,
        kind__in=[EventKind.DECISION_TIMED_OUT, EventKind.DECISION_ESCALATED],
        created_at__gte=since,
        created_at__lt=until,
    ).values_list("kind", "created_at")
    for kind, at in counted:
        figures = weeks[_week_of(at)]
        if kind == EventKind.DECISION_TIMED_OUT:
            figures.timeouts += 1
        else:
            figures.escalations += 1
    return list(weeks.values())
