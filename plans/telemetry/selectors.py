"""Reads for telemetry: what the /metrics collector counts at scrape time, and what the engine's
traces and claim metrics need to know about plans and steps.

Every read here is one aggregate query (or two) over indexed columns: a scrape every few seconds
must cost the database next to nothing. None checks permissions: the numbers cover every team,
and only operators (see orchestration/telemetry/views.py) may read them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from plans.models import EventKind, ExecutorCircuit, Plan, PlanEvent, PlanStep, PlanTrace
from plans.states import PlanStatus, StepStatus

# Plans whose steps the step metrics count: those that may still run something. Ended plans'
# steps are history, and counting them would scan every step ever run.
LIVE_PLAN_STATUSES = (PlanStatus.APPROVED, PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION)
PLAN_END_KINDS = (EventKind.PLAN_COMPLETED, EventKind.PLAN_FAILED, EventKind.PLAN_CANCELLED)


# --- What /metrics shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class StepCount:
    status: str
    executor: str
    steps: int
    # Of these, pending steps a worker could claim now (dependencies done, retry time come,
    # plan executing).
    ready: int


def step_counts(now: datetime | None = None) -> list[StepCount]:
    """Steps of live plans by status and executor, with how many of them are ready to claim.
    One query."""
    now = now or timezone.now()
    ready = Q(
        status=StepStatus.PENDING,
        waiting_on=0,
        plan__status=PlanStatus.EXECUTING,
    ) & (Q(run_after__isnull=True) | Q(run_after__lte=now))
    rows = (
        PlanStep.objects.filter(plan__status__in=LIVE_PLAN_STATUSES)
        .values("status", "executor")
        .annotate(steps=Count("pk"), ready=Count("pk", filter=ready))
        .order_by("status", "executor")
    )
    return [StepCount(r["status"], r["executor"], r["steps"], r["ready"]) for r in rows]


def plan_counts() -> dict[str, int]:
    """Plans by status, every status present (0 when none). One query over the status index."""
    counts = dict.fromkeys(PlanStatus.values, 0)
    for status, n in (
        Plan.objects.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    ):
        counts[status] = n
    return counts


@dataclass(frozen=True)
class CircuitRow:
    team: str
    executor: str
    state: str
    consecutive_failures: int


def circuit_states() -> list[CircuitRow]:
    """Every team's executor circuits with their stored state. One query."""
    return [
        CircuitRow(team, executor, state, failures)
        for team, executor, state, failures in ExecutorCircuit.objects.order_by(
            "team__name", "executor"
        ).values_list("team__name", "executor", "state", "consecutive_failures")
    ]


class WaitingKind:
    PLAN = "plan"
    GATE = "gate"
    RESCUE = "rescue"


@dataclass(frozen=True)
class Waiting:
    count: int
    # When the longest-waiting one started waiting; None when nothing waits.
    oldest_since: datetime | None


def decisions_waiting() -> dict[str, Waiting]:
    """What waits for a reviewer, by kind, with when the longest-waiting one started to wait:
    plans awaiting approval (drafts, since they were submitted), plans that need attention
    (since their latest `plan.needs_attention` event) and gates (steps awaiting approval in
    executing plans, since their latest `step.awaiting_approval` event). Two queries."""
    attention_since = (
        PlanEvent.objects.filter(plan=OuterRef("pk"), kind=EventKind.PLAN_NEEDS_ATTENTION)
        .order_by("-id")
        .values("created_at")[:1]
    )
    draft, attention = Q(status=PlanStatus.DRAFT), Q(status=PlanStatus.NEEDS_ATTENTION)
    plans = (
        Plan.objects.filter(draft | attention)
        .annotate(since=Coalesce(Subquery(attention_since), "started_at", "created_at"))
        .aggregate(
            drafts=Count("pk", filter=draft),
            drafts_since=Min("created_at", filter=draft),
            attention=Count("pk", filter=attention),
            attention_since=Min("since", filter=attention),
        )
    )
    gate_since = (
        PlanEvent.objects.filter(
            plan=OuterRef("plan"), step_key=OuterRef("key"), kind=EventKind.STEP_AWAITING_APPROVAL
        )
        .order_by("-id")
        .values("created_at")[:1]
    )
    gates = (
        PlanStep.objects.filter(
            status=StepStatus.AWAITING_APPROVAL, plan__status=PlanStatus.EXECUTING
        )
        .annotate(since=Coalesce(Subquery(gate_since), "plan__started_at"))
        .aggregate(n=Count("pk"), oldest=Min("since"))
    )
    return {
        WaitingKind.PLAN: Waiting(plans["drafts"], plans["drafts_since"]),
        WaitingKind.RESCUE: Waiting(plans["attention"], plans["attention_since"]),
        WaitingKind.GATE: Waiting(gates["n"], gates["oldest"]),
    }


# --- What traces and worker metrics need --------------------------------------------------------


def newest_event_id() -> int:
    """The id of the newest plan event (0 when there is none). A primary-key lookup."""
    return PlanEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def plans_ended_after(event_id: int, *, limit: int = 500) -> list[tuple[int, UUID]]:
    """(event id, plan id) of plan completions, failures and cancels after `event_id`, oldest
    first."""
    return list(
        PlanEvent.objects.filter(pk__gt=event_id, kind__in=PLAN_END_KINDS)
        .order_by("pk")
        .values_list("pk", "plan_id")[:limit]
    )


def plans_traced(plan_ids: Iterable[UUID]) -> set[UUID]:
    """Of these plans, those whose run was already sent as a span."""
    return set(PlanTrace.objects.filter(plan_id__in=list(plan_ids)).values_list("pk", flat=True))


@dataclass(frozen=True)
class PlanRun:
    plan_id: UUID
    team_id: int
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    # Steps (fan-out items included) by status.
    steps: dict[str, int] = field(default_factory=dict)


def plan_runs(plan_ids: Iterable[UUID]) -> list[PlanRun]:
    """The run of each of these plans: its times, final status and step counts. Two queries."""
    ids = list(plan_ids)
    if not ids:
        return []
    counts: dict[UUID, dict[str, int]] = defaultdict(dict)
    for plan_id, status, n in (
        PlanStep.objects.filter(plan_id__in=ids)
        .order_by()
        .values_list("plan_id", "status")
        .annotate(n=Count("pk"))
        .values_list("plan_id", "status", "n")
    ):
        counts[plan_id][status] = n
    return [
        PlanRun(pk, team_id, status, started, finished, counts.get(pk, {}))
        for pk, team_id, status, started, finished in Plan.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "team_id", "status", "started_at", "finished_at")
    ]


# Events after which a step is ready again (for a retry, once its delay has passed).
_REQUEUED = (
    EventKind.STEP_RETRYING,
    EventKind.STEP_RECLAIMED,
    EventKind.STEP_RELEASED,
    EventKind.STEP_RETRIED,
)


def step_ready_times(step_ids: Iterable[int]) -> dict[int, datetime]:
    """When each of these (just claimed) steps became ready to claim: the latest of its plan's
    start, its dependencies' ends and its gate's approval, or, for a step that ran before, when
    it was put back in the queue (plus the retry delay). Fan-out items are left out: they become
    ready as their item moves on, which nothing records. Two queries."""
    ids = list(step_ids)
    if not ids:
        return {}
    rows = list(
        PlanStep.objects.filter(pk__in=ids, parent__isnull=True).values_list(
            "pk",
            "plan_id",
            "key",
            "attempts",
            "plan__started_at",
            "gate_approved_at",
        )
    )
    if not rows:
        return {}
    deps_done = dict(
        PlanStep.objects.filter(pk__in=[r[0] for r in rows])
        .annotate(done=Max("depends_on__finished_at"))
        .values_list("pk", "done")
    )
    requeued: dict[tuple[UUID, str], datetime] = {}
    again = [(plan_id, key) for _, plan_id, key, attempts, _, _ in rows if attempts > 1]
    if again:
        events = PlanEvent.objects.filter(
            plan_id__in={p for p, _ in again},
            step_key__in={k for _, k in again},
            kind__in=_REQUEUED,
        ).values_list("plan_id", "step_key", "created_at", "data")
        for plan_id, key, created_at, data in events:
            at = created_at + timedelta(seconds=_seconds(data, "retry_in"))
            if at > requeued.get((plan_id, key), at - timedelta(1)):
                requeued[(plan_id, key)] = at
    ready: dict[int, datetime] = {}
    for pk, plan_id, key, _, started, approved in rows:
        times = [t for t in (started, approved, deps_done.get(pk)) if t is not None]
        if (plan_id, key) in requeued:
            times.append(requeued[(plan_id, key)])
        if times:
            ready[pk] = max(times)
    return ready


def _seconds(data: Any, name: str) -> float:
    value = data.get(name) if isinstance(data, dict) else None
    return float(value) if isinstance(value, int | float) else 0.0
