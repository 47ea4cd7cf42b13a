"""The step queue: the services the engine calls to claim, renew, finish, reclaim and release steps.

These are plans/services.py's counterparts for the worker, kept apart because they work on many
steps at once: throughput comes from claiming and finishing in batches, one short transaction
each. The rules are the same as everywhere: a change of a plan's steps happens under that plan's
row lock (taken in plan id order when there are several, so two batches cannot deadlock), the
status tables in plans/states.py are respected, and every change writes its PlanEvent in the same
transaction and is published after commit.

On PostgreSQL the hot paths (claim, finish) are single statements written in SQL; on SQLite, where
one worker runs and the IMMEDIATE write lock serialises everything, the same rules run as ORM
code.

A step's lease: the claiming worker's name and an expiry, renewed by `steps_heartbeat`. Once it
has expired, `steps_reclaim_expired` (any worker) puts the step back to pending, or fails it as
poison after settings.PLANGATE_POISON_AFTER lost leases. `attempts` is the fence: each claim
increments it, and a result is accepted only from the attempt that is still in progress.
"""

from __future__ import annotations

import json
import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone

from executors import registry
from executors.protocol import BREAKER_COUNTED, FailureClass
from orchestration.engine import (
    circuits,
    ending,
    fanout,
    finishing,
    recovering,
    spending,
    starting,
)
from orchestration.engine.claims import Claim, Report
from plans import realtime
from plans.models import EventKind, Plan, PlanEvent, PlanStep
from plans.notifications.services import notifications_enqueue
from plans.services import (
    READY_PAYLOAD,
    Actor,
    dependents_counted,
    end_plan_if_done,
    hold_at_start,
    notify_workers,
    plan_start,
    release_dependents,
)
from plans.states import PlanStatus, StepStatus

logger = logging.getLogger(__name__)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def step_timeout(executor: str, own: float | None) -> float:
    """The step's own timeout, else its executor's default, else the settings'."""
    if own:
        return float(own)
    default = _executor_default(executor, "timeout_seconds")
    return float(default or settings.PLANGATE_STEP_TIMEOUT_SECONDS)


def step_max_attempts(executor: str, own: int | None) -> int:
    if own:
        return int(own)
    default = _executor_default(executor, "max_attempts")
    return int(default or settings.PLANGATE_STEP_MAX_ATTEMPTS)


def _executor_default(executor: str, attribute: str) -> Any:
    try:
        return getattr(registry.get(executor), attribute, None)
    except Exception:
        return None  # an executor no longer registered fails when it runs, with the reason


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds before attempt `attempt + 1`: what the executor was told (Retry-After), else
    exponential backoff from PLANGATE_RETRY_BASE_SECONDS with equal jitter, both capped at
    PLANGATE_RETRY_MAX_SECONDS."""
    cap = float(settings.PLANGATE_RETRY_MAX_SECONDS)
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), cap)
    ceiling = min(cap, float(settings.PLANGATE_RETRY_BASE_SECONDS) * 2 ** max(attempt - 1, 0))
    # Half fixed, half random: retries spread out (no thundering herd after an outage) yet
    # still grow with every attempt.
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security


# --- Claiming -----------------------------------------------------------------------------------

# Claiming takes two statements in one transaction. The first locks plans that have a ready step
# and a free slot, skipping plans another worker holds. The plan row lock is what makes
# max_concurrency hold across workers: while it is held no one else claims from, finishes,
# reclaims or cancels steps of that plan. SKIP LOCKED makes a busy plan cost nothing: the claimer
# moves on to other plans, and the worker holding it wakes the others when it commits.
# The (team, executor) keys whose steps both statements leave alone: the circuits the caller
# named, and with %(unclosed)s every circuit not closed (read by the statement itself rather than
# by one of its own).
_PAUSED_CTE = """
paused AS (
    SELECT unnest(%(paused)s::text[]) AS k
    UNION ALL
    SELECT e.team_id::text || ':' || e.executor
    FROM plans_executorcircuit e
    WHERE %(unclosed)s AND e.state <> 'closed'
)"""

_LOCK_PLANS_SQL = f"""
WITH {_PAUSED_CTE},
locked AS (
SELECT p.id
FROM plans_plan p
WHERE p.status = 'executing'
  -- A scalar subquery, not EXISTS: it stays a per-plan index probe whatever the planner's
  -- statistics say (EXISTS may be turned into a join that scans every ready step).
  AND (
      SELECT 1 FROM plans_planstep s
      WHERE s.plan_id = p.id AND s.status = 'pending' AND s.waiting_on = 0
        AND (s.run_after IS NULL OR s.run_after <= now())
        -- The executor the step runs now: a recovery's fallback, else its own.
        AND NOT ((p.team_id::text || ':' || coalesce(nullif(s.run_executor, ''), s.executor))
                 = ANY(ARRAY(SELECT k FROM paused)))
        AND (%(only)s = ''
             OR (p.team_id::text || ':' || coalesce(nullif(s.run_executor, ''), s.executor))
                = %(only)s)
      LIMIT 1
  ) IS NOT NULL
  AND (
      SELECT count(*) FROM plans_planstep s
      WHERE s.plan_id = p.id AND s.status = 'in_progress' AND s.lease_owner <> ''
  ) < p.max_concurrency
ORDER BY p.started_at, p.id
LIMIT %(plans)s
FOR NO KEY UPDATE OF p SKIP LOCKED
)
SELECT id FROM locked
UNION ALL
-- With %(unclosed)s, one row of NULL if a circuit is due for a trial (its cool-down is over, or
-- its last trial brought no outcome in time): circuits.claim_filter() hands the trial out.
SELECT NULL WHERE %(unclosed)s AND EXISTS (
    SELECT 1 FROM plans_executorcircuit e
    WHERE e.state <> 'closed'
      AND coalesce(CASE WHEN e.state = 'open' THEN e.open_until ELSE e.trial_until END,
                   '-infinity') <= now()
)
"""  # noqa: S608 - the module's own fragment

# The second statement claims. It must be a statement of its own: its snapshot is taken after
# the locks were granted, so it sees every step the previous holder of a lock claimed or
# finished (one statement would count from a snapshot taken before, and could claim a step
# twice or a slot too many). It takes from each locked plan its first ready steps, as many as
# its max_concurrency still allows, marks them in progress under this worker's lease, and
# writes their step.started events.
_CLAIM_SQL = f"""
WITH {_PAUSED_CTE},
candidate_plans AS (
    SELECT p.id, p.team_id, p.started_at,
           p.max_concurrency - (
               SELECT count(*) FROM plans_planstep s
               WHERE s.plan_id = p.id AND s.status = 'in_progress' AND s.lease_owner <> ''
           ) AS free
    FROM plans_plan p
    WHERE p.id = ANY(%(plan_ids)s::uuid[]) AND p.status = 'executing'
),
picked AS (
    -- Each plan's first ready steps, as many as it has free slots: an index scan per plan.
    SELECT ready.id
    FROM candidate_plans c
    CROSS JOIN LATERAL (
        SELECT s.id, s.position
        FROM plans_planstep s
        WHERE s.plan_id = c.id AND s.status = 'pending' AND s.waiting_on = 0
          AND (s.run_after IS NULL OR s.run_after <= now())
          AND NOT ((c.team_id::text || ':' || coalesce(nullif(s.run_executor, ''), s.executor))
                   = ANY(ARRAY(SELECT k FROM paused)))
          AND (%(only)s = ''
               OR (c.team_id::text || ':' || coalesce(nullif(s.run_executor, ''), s.executor))
                  = %(only)s)
        ORDER BY s.position, s.id
        LIMIT greatest(c.free, 0)
    ) ready
    ORDER BY c.started_at, c.id, ready.position, ready.id
    LIMIT %(limit)s
),
claimed AS (
    UPDATE plans_planstep s
    SET status = 'in_progress',
        attempts = s.attempts + 1,
        -- The moment of the claim itself, not the start of its transaction (which may have
        -- recorded outcomes or started the plan first).
        started_at = clock_timestamp(),
        finished_at = NULL,
        run_after = NULL,
        lease_owner = %(worker)s,
        lease_expires_at = now() + make_interval(secs => %(lease)s)
    -- By primary key, whatever the statistics say. The status check is always true under the
    -- plan locks; kept as a guard, checked on each row (written so that it cannot steer the
    -- planner to another index).
    WHERE s.id = ANY(ARRAY(SELECT id FROM picked)) AND s.status || '' = 'pending'
    -- What the attempt runs: what a recovery switched the step to, else what was approved.
    RETURNING s.id, s.plan_id, s.key, s.attempts,
              coalesce(nullif(s.run_executor, ''), s.executor) AS executor, s.task, s.hint,
              coalesce(s.run_params, s.params) AS params,
              s.context, s.timeout_seconds, s.max_attempts, s.for_each, s.parent_id,
              s.item_index, s.item, s.lost_leases, s.spared_attempts, s.guardrails,
              s.quality, s.recover, s.recoveries
),
events AS (
    INSERT INTO plans_planevent
        (plan_id, kind, step_key, actor, actor_user_id, source, role, data, created_at)
    SELECT c.plan_id, 'step.started', c.key, %(actor)s, NULL, '', '',
           jsonb_build_object('attempt', c.attempts, 'worker', %(worker)s::text), now()
    FROM claimed c
    ORDER BY c.plan_id, c.id
    RETURNING id, plan_id
)
SELECT c.id, c.plan_id, cp.team_id, c.key, c.attempts, c.executor, c.task, c.hint, c.params,
       c.context, c.timeout_seconds, c.max_attempts, c.for_each, c.parent_id, c.item_index,
       c.item, c.lost_leases, c.spared_attempts, c.guardrails, c.quality, c.recover,
       c.recoveries, newest.event_id,
       -- What the step receives: the results of its completed dependencies by key (a skipped
       -- one passes nothing). Its dependency rows, then each by primary key: the status check
       -- is written so that it cannot steer the planner to scan every completed step.
       (SELECT jsonb_object_agg(d.key, d.result)
        FROM plans_planstep_depends_on t
        JOIN plans_planstep d ON d.id = t.to_planstep_id
        WHERE t.from_planstep_id = c.id AND d.status || '' = 'completed') AS inputs
FROM claimed c
JOIN candidate_plans cp ON cp.id = c.plan_id
-- Each plan's newest event, which its pages are nudged with.
JOIN (SELECT plan_id, max(id) AS event_id FROM events GROUP BY plan_id) newest
  ON newest.plan_id = c.plan_id
"""  # noqa: S608 - the module's own fragment

_JSON_COLUMNS = (
    "inputs",
    "params",
    "context",
    "for_each",
    "item",
    "guardrails",
    "quality",
    "recover",
    "recoveries",
)
CLAIM_PLANS = 16


def steps_claim(*, worker: str, actor: Actor, limit: int, lease_seconds: float) -> list[Claim]:
    """Claim up to `limit` ready steps for `worker`, leased for `lease_seconds`.

    A step is ready when it is pending in an executing plan, every dependency has completed or
    been skipped, its retry time has come and its executor's circuit is not open; a plan gives
    out no more steps than its max_concurrency allows, counting those running on every worker.
    Each claim is one more attempt, with its step.started event. Returns [] when there is
    nothing to claim.
    """
    if limit < 1:
        return []
    if is_postgres():
        # Every circuit that is not closed is left alone, read by the claim itself; the
        # circuits' own query is only made when one of them is due for a trial.
        rows, due = _claim_postgres(worker, actor, limit, lease_seconds, [], "", unclosed=True)
        if not due:
            return _claims(rows)
        paused, trials = circuits.claim_filter()
        claim = _claim_trial_postgres
    else:
        paused, trials = circuits.claim_filter()
        claim = _claim_portable
        rows = claim(worker, actor, limit, lease_seconds, [*paused, *trials], "")
    # Half-open circuits whose trial this worker took: one step of each, after the others.
    for trial in trials:
        tried = claim(worker, actor, 1, lease_seconds, paused, trial) if len(rows) < limit else []
        if not tried:
            circuits.trial_unused(trial)
        rows += tried
    return _claims(rows)


def _claims(rows: list[dict[str, Any]]) -> list[Claim]:
    """The claims for claimed rows, with each step's inputs from its dependencies."""
    if not rows:
        return []
    # PostgreSQL's claim reads them in the same statement; elsewhere they are read here.
    unread = [row["id"] for row in rows if row["parent_id"] is None and "inputs" not in row]
    inputs = _inputs_for(unread)
    return [
        Claim(
            id=row["id"],
            plan_id=row["plan_id"],
            team_id=row["team_id"],
            key=row["key"],
            attempt=row["attempts"],
            executor=row["executor"],
            task=row["task"],
            hint=row["hint"],
            params=row["params"] or {},
            context=row["context"] or {},
            timeout=step_timeout(row["executor"], row["timeout_seconds"]),
            max_attempts=step_max_attempts(row["executor"], row["max_attempts"]),
            for_each=row["for_each"],
            parent_id=row["parent_id"],
            item_index=row["item_index"],
            item=row["item"],
            lost_leases=row["lost_leases"],
            spared_attempts=row["spared_attempts"],
            guardrails=row["guardrails"],
            quality=row["quality"],
            recover=row["recover"],
            recoveries=tuple(row["recoveries"] or ()),
            inputs=(
                {"item": row["item"], "index": row["item_index"]}
                if row["parent_id"] is not None
                else row.get("inputs") or inputs.get(row["id"], {})
            ),
        )
        for row in rows
    ]


def _claim_trial_postgres(
    worker: str, actor: Actor, limit: int, lease_seconds: float, paused: list[str], only: str
) -> list[dict[str, Any]]:
    return _claim_postgres(worker, actor, limit, lease_seconds, paused, only)[0]


def _claim_postgres(
    worker: str,
    actor: Actor,
    limit: int,
    lease_seconds: float,
    paused: list[str],
    only: str,
    *,
    unclosed: bool = False,
) -> tuple[list[dict[str, Any]], bool]:
    """The claimed rows, and (with `unclosed`) whether a circuit is due for a trial."""
    params: dict[str, Any] = {
        "worker": worker,
        "actor": actor.label,
        "limit": limit,
        # Plans locked per claim: enough to fill the slots from a few plans, few enough that
        # other workers claiming at the same moment find unlocked plans to take from.
        "plans": min(limit, CLAIM_PLANS),
        "lease": lease_seconds,
        "paused": paused,
        # A (team, executor) key: claim only its steps (a circuit's trial); "" for any.
        "only": only,
        "unclosed": unclosed,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOCK_PLANS_SQL, params)
        found = [row[0] for row in cursor.fetchall()]
        params["plan_ids"] = [plan_id for plan_id in found if plan_id is not None]
        due = len(params["plan_ids"]) < len(found)
        if not params["plan_ids"]:
            return [], due
        return _claim_locked_postgres(params), due


def _claim_locked_postgres(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Claim from the plans in params["plan_ids"], which this transaction has locked."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, params)
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        for column in _JSON_COLUMNS:
            # Django reads jsonb as text and decodes in the field; raw SQL does it here.
            if isinstance(row[column], str):
                row[column] = json.loads(row[column])
    _publish_on_commit((row["plan_id"], row["team_id"], row["event_id"]) for row in rows)
    return rows


def _claim_portable(
    worker: str,
    actor: Actor,
    limit: int,
    lease_seconds: float,
    paused: list[str],
    only: str,
    plan_ids: Sequence[UUID] | None = None,
) -> list[dict[str, Any]]:
    # SQLite: the IMMEDIATE transaction holds the database's write lock from its first statement,
    # so the reads and writes below cannot interleave with another writer's.
    with transaction.atomic():
        now = timezone.now()
        candidates = PlanStep.objects.filter(
            status=StepStatus.PENDING, waiting_on=0, plan__status=PlanStatus.EXECUTING
        )
        if plan_ids is not None:
            candidates = candidates.filter(plan_id__in=list(plan_ids))
        ready = (
            candidates.filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
            .order_by("plan__started_at", "plan_id", "position", "pk")
            .values_list(
                "pk",
                "plan_id",
                "plan__max_concurrency",
                "plan__team_id",
                "executor",
                "run_executor",
            )
        )
        busy = dict(
            PlanStep.objects.filter(
                status=StepStatus.IN_PROGRESS, plan__status=PlanStatus.EXECUTING
            )
            .exclude(lease_owner="")
            .values_list("plan_id")
            .annotate(n=Count("pk"))
            .values_list("plan_id", "n")
        )
        picked: list[int] = []
        paused_keys = set(paused)
        for pk, plan_id, max_concurrency, team_id, executor, run_executor in ready.iterator():
            circuit = circuits.key(team_id, run_executor or executor)
            if circuit in paused_keys or (only and circuit != only):
                continue
            if busy.get(plan_id, 0) >= max_concurrency:
                continue
            busy[plan_id] = busy.get(plan_id, 0) + 1
            picked.append(pk)
            if len(picked) >= limit:
                break
        if not picked:
            return []
        PlanStep.objects.filter(pk__in=picked).update(
            status=StepStatus.IN_PROGRESS,
            attempts=F("attempts") + 1,
            started_at=now,
            finished_at=None,
            run_after=None,
            lease_owner=worker,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
        )
        steps = list(
            PlanStep.objects.filter(pk__in=picked).select_related("plan").order_by("plan_id", "pk")
        )
        events = PlanEvent.objects.bulk_create(
            PlanEvent(
                plan_id=s.plan_id,
                kind=EventKind.STEP_STARTED,
                step_key=s.key,
                actor=actor.label,
                data={"attempt": s.attempts, "worker": worker},
            )
            for s in steps
        )
        last = {e.plan_id: e.pk for e in events}
        rows = [
            {
                "id": s.pk,
                "plan_id": s.plan_id,
                "team_id": s.plan.team_id,
                "key": s.key,
                "attempts": s.attempts,
                # What a recovery switched the step to, else what was approved.
                "executor": s.run_executor or s.executor,
                "task": s.task,
                "hint": s.hint,
                "params": s.params if s.run_params is None else s.run_params,
                "context": s.context,
                "timeout_seconds": s.timeout_seconds,
                "max_attempts": s.max_attempts,
                "for_each": s.for_each,
                "parent_id": s.parent_id,
                "item_index": s.item_index,
                "item": s.item,
                "lost_leases": s.lost_leases,
                "spared_attempts": s.spared_attempts,
                "guardrails": s.guardrails,
                "quality": s.quality,
                "recover": s.recover,
                "recoveries": s.recoveries,
                "event_id": last[s.plan_id],
            }
            for s in steps
        ]
        _publish_on_commit((r["plan_id"], r["team_id"], r["event_id"]) for r in rows)
    return rows


def _inputs_for(step_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Results of completed dependencies by step key, for each step. Skipped ones pass nothing."""
    if not step_ids:
        return {}
    Through = PlanStep.depends_on.through
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    for step_id, key, result in Through.objects.filter(
        from_planstep_id__in=step_ids, to_planstep__status=StepStatus.COMPLETED
    ).values_list("from_planstep_id", "to_planstep__key", "to_planstep__result"):
        found[step_id][key] = result
    return found


# --- Leases -------------------------------------------------------------------------------------


def steps_heartbeat(*, worker: str, step_ids: Sequence[int], lease_seconds: float) -> set[int]:
    """Renew this worker's leases on the given running steps; returns the ids renewed.

    A step locked by someone else at this moment (being finished, cancelled or reclaimed) is
    skipped rather than waited for: waiting could deadlock with a transaction that locks the
    same steps in another order, and the next heartbeat, a third of a lease later, renews it.
    """
    if not step_ids:
        return set()
    ids = list(step_ids)
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE plans_planstep
                SET lease_expires_at = now() + make_interval(secs => %s)
                WHERE id IN (
                    SELECT id FROM plans_planstep WHERE id = ANY(%s)
                    FOR NO KEY UPDATE SKIP LOCKED
                )
                  AND status = 'in_progress' AND lease_owner = %s
                RETURNING id
                """,
                [lease_seconds, ids, worker],
            )
            return {row[0] for row in cursor.fetchall()}
    with transaction.atomic():
        renewed = set(
            PlanStep.objects.filter(
                pk__in=ids, status=StepStatus.IN_PROGRESS, lease_owner=worker
            ).values_list("pk", flat=True)
        )
        PlanStep.objects.filter(pk__in=renewed).update(
            lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds)
        )
    return renewed


def steps_still_owned(*, worker: str, attempts: dict[int, int]) -> set[int]:
    """Which of this worker's running steps (id -> attempt) are still its to finish. The others
    were cancelled with their plan, or reclaimed after the lease expired."""
    if not attempts:
        return set()
    rows = PlanStep.objects.filter(
        pk__in=list(attempts), status=StepStatus.IN_PROGRESS, lease_owner=worker
    ).values_list("pk", "attempts")
    return {pk for pk, attempt in rows if attempts.get(pk) == attempt}


@transaction.atomic
def steps_reclaim_expired(
    *, actor: Actor, keep: Sequence[int] = (), limit: int = 200
) -> list[tuple[str, str]]:
    """Put steps whose lease expired (their worker died or was cut off) back to pending, so
    another worker runs them; fail as poison a step that has lost settings.PLANGATE_POISON_AFTER
    leases. Steps in `keep` (the caller's own, still running) are left alone. Returns (step key,
    "reclaimed" | "poison") for each.

    Plans another transaction holds are skipped this time round; any worker retries a moment
    later.
    """
    now = timezone.now()
    # Expiry is judged by the database's clock, which set the lease (on PostgreSQL): a worker
    # whose own clock runs fast must not take steps from workers that are alive.
    expired = (
        PlanStep.objects.filter(status=StepStatus.IN_PROGRESS, lease_expires_at__lt=Now())
        .exclude(lease_owner="")
        .exclude(pk__in=list(keep))
        .values_list("plan_id", flat=True)[:limit]
    )
    plan_ids = sorted(set(expired), key=str)
    if not plan_ids:
        return []
    plans = list(
        Plan.objects.select_for_update(skip_locked=True, no_key=True)
        # A plan that needs attention still has steps in flight: a lost one goes back to pending
        # and waits for the plan to go on.
        .filter(pk__in=plan_ids, status__in=[PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION])
        .order_by("pk")
    )
    poison_after = int(settings.PLANGATE_POISON_AFTER)
    done: list[tuple[str, str]] = []
    for plan in plans:
        steps = list(
            PlanStep.objects.filter(
                plan=plan, status=StepStatus.IN_PROGRESS, lease_expires_at__lt=Now()
            )
            .exclude(lease_owner="")
            .exclude(pk__in=list(keep))
        )
        events: list[PlanEvent] = []
        for step in steps:
            lost_from = step.lease_owner
            expired_at = step.lease_expires_at
            step.lost_leases += 1
            step.lease_owner = ""
            step.lease_expires_at = None
            data = {
                "attempt": step.attempts,
                "worker": lost_from,
                "expired_at": expired_at.isoformat() if expired_at else None,
                "lost_leases": step.lost_leases,
            }
            if step.lost_leases >= poison_after:
                step.status = StepStatus.FAILED
                step.failure_class = FailureClass.POISON
                step.error = (
                    f"its worker died {step.lost_leases} times while running it; "
                    "failed as poison rather than handed to another worker"
                )
                step.finished_at = now
                kind = EventKind.STEP_FAILED
                data |= {"error": step.error, "failure_class": step.failure_class}
                done.append((step.key, "poison"))
            else:
                step.status = StepStatus.PENDING
                step.run_after = None
                kind = EventKind.STEP_RECLAIMED
                done.append((step.key, "reclaimed"))
            events.append(_event(plan, kind, actor, step.key, data))
        PlanStep.objects.bulk_update(
            steps,
            [
                "status",
                "lost_leases",
                "lease_owner",
                "lease_expires_at",
                "failure_class",
                "error",
                "finished_at",
                "run_after",
            ],
        )
        _save_events(plan, events)
        # A fan-out item failed as poison ends its item, as any failure does (fanout.py).
        fanout.children_finished(
            [
                fanout.ChildEnd(s.pk, s.status)
                for s in steps
                if s.parent_id is not None and s.status == StepStatus.FAILED
            ],
            plans={plan.pk: plan},
            actor=actor,
            now=now,
        )
        end_plan_if_done(plan, actor)
    notify_workers()
    return done


@transaction.atomic
def steps_release(*, worker: str, actor: Actor, attempts: dict[int, int]) -> list[str]:
    """Hand back running steps (id -> attempt) that this worker will not finish (it is shutting
    down), so other workers take them at once rather than after the lease. Returns their keys."""
    if not attempts:
        return []
    rows = list(
        PlanStep.objects.filter(
            pk__in=list(attempts), status=StepStatus.IN_PROGRESS, lease_owner=worker
        ).values_list("plan_id", flat=True)
    )
    released: list[str] = []
    for plan in _lock_plans(set(rows)):
        steps = [
            s
            for s in PlanStep.objects.filter(
                plan=plan, pk__in=list(attempts), status=StepStatus.IN_PROGRESS, lease_owner=worker
            )
            if attempts[s.pk] == s.attempts
        ]
        for step in steps:
            step.status = StepStatus.PENDING
            step.lease_owner = ""
            step.lease_expires_at = None
            step.run_after = None
            # Not the step's failure: the attempt is not counted against its max_attempts.
            step.spared_attempts += 1
        PlanStep.objects.bulk_update(
            steps, ["status", "lease_owner", "lease_expires_at", "run_after", "spared_attempts"]
        )
        _save_events(
            plan,
            [
                _event(plan, EventKind.STEP_RELEASED, actor, s.key, {"attempt": s.attempts})
                for s in steps
            ],
        )
        released.extend(s.key for s in steps)
    notify_workers()
    return released


# --- Finishing ----------------------------------------------------------------------------------


@dataclass
class _Verdict:
    report: Report
    status: str
    run_after: datetime | None = None
    delay: float | None = None
    # Not counted against max_attempts (the executor's circuit opened).
    spared: bool = False
    # A recovery recipe decided it (plans/recovery/, recovering.py).
    recovery: recovering.Recovery | None = None


def steps_finish(*, reports: Sequence[Report], actor: Actor) -> set[int]:
    """Record what each claimed attempt came to, in one transaction; returns the ids accepted.

    Success completes the step and lets its dependents go. A failure of a retryable class with
    attempts left puts the step back to pending after a backoff (step.retrying); any other
    failure fails it, and with it the plan once its running steps end. Circuit breakers count
    the outcomes. A report whose attempt is no longer in progress (the plan was cancelled, the
    lease expired and the step went to another worker) is refused: nothing is written for it.
    """
    if not reports:
        return set()
    with transaction.atomic():
        return _finish(reports, actor, None)[0]


@dataclass(frozen=True)
class Slots:
    """Free slots of a worker that records outcomes, to fill in the same transaction."""

    worker: str
    limit: int
    lease_seconds: float


@dataclass
class Finished:
    """What steps_finish_and_claim() did."""

    accepted: set[int]
    claims: list[Claim]
    # False when other workers were woken: the outcomes left steps to claim (or slots free)
    # beyond those claimed here.
    settled: bool


def steps_finish_and_claim(*, reports: Sequence[Report], actor: Actor, slots: Slots) -> Finished:
    """steps_finish(), then, in the same transaction, claim for `slots.worker` up to
    `slots.limit` ready steps of the outcomes' plans: the dependents the outcomes let go, and the
    steps that waited for the slots they freed. Returns what was accepted and claimed.

    The plans are locked already, so this claim costs one statement and no wake-up of another
    worker: a chain of steps goes on without a round trip through NOTIFY, and a plan of many
    independent steps refills its slots in the transaction that empties them. The claim is the same
    as steps_claim()'s (max_concurrency counted across workers, open circuits left alone).
    """
    if not reports:
        return Finished(set(), [], settled=True)
    with transaction.atomic():
        accepted, rows, settled = _finish(reports, actor, slots)
        return Finished(accepted, _claims(rows), settled)


def _finish(
    reports: Sequence[Report], actor: Actor, slots: Slots | None
) -> tuple[set[int], list[dict[str, Any]], bool]:
    now = timezone.now()
    plan_ids = {r.claim.plan_id for r in reports}
    unclean: set[tuple[int, str]] | None = None
    if is_postgres():
        plans, unclean = finishing.lock_plans(plan_ids, {r.claim.executor for r in reports})
    else:
        plans = {p.pk: p for p in _lock_plans(plan_ids)}
    # Counted first: a failure that leaves its executor's circuit open does not use up an
    # attempt; the step waits for the circuit instead. (A refused late result counts too: it
    # says as much about the executor's health.)
    opened = circuits.record(
        [(r.claim.team_id, r.claim.executor, r.outcome) for r in reports], unclean=unclean
    )
    verdicts = [_verdict(r, now, opened) for r in reports]
    if is_postgres() and all(_plain_success(v) for v in verdicts):
        accepted = _complete(verdicts, plans, actor, now)
    else:
        accepted = _record(verdicts, plans, actor, now)
    rows = _claim_more(plans, slots, actor) if accepted else []
    # Wake the other workers unless this one had slots to spare after claiming: then it took
    # everything these plans give out now (their ready steps, up to their max_concurrency), and
    # no other worker would find more there than before.
    settled = len(rows) < slots.limit if slots is not None and slots.limit > 0 else not accepted
    if accepted and not settled:
        notify_workers(READY_PAYLOAD)
    return accepted, rows, settled


def _plain_success(verdict: _Verdict) -> bool:
    """A success that needs no more than the one statement of finishing.complete: not a fan-out
    item (whose parent may complete with it), no recovery, nothing consumed to charge."""
    claim, outcome = verdict.report.claim, verdict.report.outcome
    return (
        verdict.status == StepStatus.COMPLETED
        and verdict.recovery is None
        and claim.parent_id is None
        and outcome.usage is None
    )


def _complete(
    verdicts: list[_Verdict], plans: dict[UUID, Plan], actor: Actor, now: datetime
) -> set[int]:
    """Record a batch of plain successes (PostgreSQL): one statement, then the rounds of
    dependents that skipped steps let go, and the ends of the plans that may have ended."""
    reports = [v.report for v in verdicts]
    spent = spending.record(reports, plans)
    events = []
    for v in sorted(verdicts, key=lambda v: str(v.report.claim.plan_id)):
        claim = v.report.claim
        data = {"attempt": claim.attempt, **v.report.note}
        data |= spent.get((claim.id, claim.attempt), {})
        # The row _event_row() makes of such an event, without making the event first.
        events.append(
            {
                "plan_id": str(claim.plan_id),
                "kind": EventKind.STEP_COMPLETED,
                "step_key": claim.key,
                "actor": actor.label,
                "actor_user_id": None,
                "source": "",
                "role": "",
                "data": data,
                "step_id": claim.id,
            }
        )
    done = finishing.complete([_verdict_row(v) for v in verdicts], events, now)
    _publish_on_commit((plan_id, plans[plan_id].team_id, pk) for pk, plan_id in done.events)
    _, skipped = dependents_counted(done.counted)
    if skipped:
        # Skipped steps that were waiting only for these: their dependents go on in turn.
        release_dependents(skipped)
    _end_plans(done.ended, plans, actor)
    return done.accepted


def _record(
    verdicts: list[_Verdict], plans: dict[UUID, Plan], actor: Actor, now: datetime
) -> set[int]:
    """Record a batch of outcomes of any kind, statement by statement."""
    reports = [v.report for v in verdicts]
    accepted = _write_verdicts(verdicts, now)
    spent = spending.record(reports, plans)
    if not accepted:
        return set()
    kept = [v for v in verdicts if v.report.claim.id in accepted]
    recovering.write([v.recovery for v in kept if v.recovery is not None])
    events: dict[UUID, list[PlanEvent]] = defaultdict(list)
    for v in kept:
        claim, outcome = v.report.claim, v.report.outcome
        plan = plans[claim.plan_id]
        data: dict[str, Any] = {"attempt": claim.attempt, **v.report.note}
        data |= spent.get((claim.id, claim.attempt), {})
        if v.status == StepStatus.COMPLETED:
            kind = EventKind.STEP_COMPLETED
        else:
            data |= {"error": outcome.error, "failure_class": outcome.failure_class}
            if v.status == StepStatus.PENDING:
                kind = EventKind.STEP_RETRYING
                data |= {"retry_in": round(v.delay or 0, 3), "max_attempts": claim.max_attempts}
                if v.spared:
                    data["waits_for_circuit"] = True
            else:
                kind = EventKind.STEP_FAILED
        if v.recovery is not None:
            data |= v.recovery.note
            if (recovered := recovering.event(plan, actor, v.recovery)) is not None:
                events[claim.plan_id].append(recovered)
        events[claim.plan_id].append(_event(plan, kind, actor, claim.key, data))
    _save_all_events(events, plans)
    completed = [v.report.claim.id for v in kept if v.status == StepStatus.COMPLETED]
    release_dependents(completed)
    # Fan-out items: each item's chain moves on, and a fan-out step whose items have all ended
    # completes (fanout.py). Before the plans are checked, so a plan can end with it.
    fanout.children_finished(
        [
            fanout.ChildEnd(
                v.report.claim.id, v.status, v.report.outcome.result, v.report.outcome.final
            )
            for v in kept
            if v.report.claim.parent_id is not None
        ],
        plans=plans,
        actor=actor,
        now=now,
    )
    _end_plans(plans_maybe_done(events), plans, actor)
    spending.hold_spent_plans(reports, plans, actor)
    return accepted


def plan_start_next(*, actor: Actor, slots: Slots) -> Started | None:
    """Start the approved plan approved first that no other worker is starting (plans/services.py:
    plan_start) and, in the same transaction, claim for `slots.worker` up to `slots.limit` of its
    ready steps: the first steps start as soon as the plan does, without another round. None
    when no approved plan is left for this worker.

    The plan is picked and locked by one statement (SKIP LOCKED: workers starting plans at the
    same moment take different ones)."""
    with transaction.atomic():
        more = True
        if is_postgres() and actor.user is None:
            plan, more = _begin_next(actor)
        else:
            plan = (
                Plan.objects.select_for_update(of=("self",), no_key=True, skip_locked=True)
                .select_related("team")
                .filter(status=PlanStatus.APPROVED)
                .order_by("approved_at", "pk")
                .first()
            )
            if plan is not None:
                plan_start(plan=plan, actor=actor, settle=False, locked=True)
        if plan is None:
            return None
        # The plan's row lock is held until this transaction ends. A plan held at its start (a
        # spent budget) is not executing: nothing is claimed.
        rows = _claim_more({plan.pk: plan}, slots, actor)
        if not rows:
            # Every step was skipped before approval, or this worker has no slot free.
            _end_plans(plans_maybe_done([plan.pk]), {plan.pk: plan}, actor)
        if slots.limit < 1 or len(rows) == slots.limit:
            # Ready steps may be left for the other workers.
            notify_workers(READY_PAYLOAD)
        return Started(plan, _claims(rows), more)


def _begin_next(actor: Actor) -> tuple[Plan | None, bool]:
    """plans.services.plan_start for the plan plan_start_next picks, picked and started by one
    statement (starting.py): the plan (None if there is none), and whether others were
    approved too."""
    begun = starting.start_next(actor=actor.label, source=actor.source, now=timezone.now())
    if begun is None:
        return None, False
    plan = begun.plan
    notifications_enqueue([begun.event])
    _publish_on_commit([(plan.pk, plan.team_id, begun.event.pk)])
    hold_at_start(plan, actor, gated=begun.gated, budgeted=begun.budgeted)
    return plan, begun.more


@dataclass
class Started:
    """What plan_start_next() did: the plan it started, and the steps it claimed."""

    plan: Plan
    claims: list[Claim]
    # False when no other plan was approved as it started: there is no need to look again.
    more: bool = True


def _claim_more(plans: dict[UUID, Plan], slots: Slots | None, actor: Actor) -> list[dict[str, Any]]:
    """Claim for the finishing worker the ready steps of the plans it has locked (see
    steps_finish_and_claim): the dependents its outcomes let go, and the steps waiting for the
    slots its outcomes freed. Steps of a (team, executor) whose circuit is not closed are left
    alone: a half-open circuit's trial is taken only by steps_claim()."""
    if slots is None or slots.limit < 1 or not plans:
        return []
    if is_postgres():
        params: dict[str, Any] = {
            "worker": slots.worker,
            "actor": actor.label,
            "limit": slots.limit,
            "lease": slots.lease_seconds,
            "paused": [],
            "unclosed": True,
            "only": "",
            "plan_ids": list(plans),
        }
        return _claim_locked_postgres(params)
    return _claim_portable(
        slots.worker,
        actor,
        slots.limit,
        slots.lease_seconds,
        circuits.not_closed(),
        "",
        plan_ids=list(plans),
    )


def warm_up(*, worker: str, actor: Actor, lease_seconds: float) -> None:
    """Run the statements of the hot path once, on nothing, in a transaction rolled back: a new
    database session then has what they read of the catalog, and this process what it builds
    for them, before the first step rather than during it. PostgreSQL only."""
    if not is_postgres():
        return
    with transaction.atomic():
        finishing.lock_plans([], [])
        finishing.complete([], [], timezone.now())
        _claim_locked_postgres(
            {
                "worker": worker,
                "actor": actor.label,
                "limit": 1,
                "lease": lease_seconds,
                "paused": [],
                "unclosed": True,
                "only": "",
                "plan_ids": [],
            }
        )
        transaction.set_rollback(True)


def _end_plans(plan_ids: Iterable[UUID], plans: dict[UUID, Plan], actor: Actor) -> None:
    """End those of these plans (locked, each of which may have ended) that have. On PostgreSQL
    those whose steps all ended well are completed by one statement (ending.py); the others (a
    failed step, a reviewer to ask) are decided by plans.services.end_plan_if_done."""
    left = list(plan_ids)
    if left and is_postgres() and actor.user is None:
        now = timezone.now()
        ended = ending.end_completed(left, actor=actor.label, source=actor.source, now=now)
        # Most teams have no subscriptions: their plans' ends are not looked at again.
        notifications_enqueue([e.event for e in ended if e.subscribed])
        _publish_on_commit((e.plan_id, e.team_id, e.event.pk) for e in ended)
        for e in ended:
            plan = plans[e.plan_id]
            plan.status, plan.finished_at = PlanStatus.COMPLETED, now
            logger.info("plan %s completed", e.plan_id)
        completed = {e.plan_id for e in ended}
        left = [plan_id for plan_id in left if plan_id not in completed]
    for plan_id in left:
        end_plan_if_done(plans[plan_id], actor)


def plans_maybe_done(plan_ids: Iterable[UUID]) -> list[UUID]:
    """Of these plans, those that may have ended: nothing pending or running, or a failed step.
    One query for the batch, two index probes per plan (however many steps it has);
    end_plan_if_done then decides for each of these."""
    ids = list(plan_ids)
    if not ids:
        return []
    if is_postgres():
        # The query below, without building it anew for every batch of outcomes.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT p.id FROM plans_plan p
                WHERE p.id = ANY(%s::uuid[])
                  AND (EXISTS (SELECT 1 FROM plans_planstep s
                               WHERE s.plan_id = p.id AND s.status = 'failed'
                                 AND s.parent_id IS NULL)
                       OR NOT EXISTS (SELECT 1 FROM plans_planstep s
                                      WHERE s.plan_id = p.id
                                        AND s.status IN ('pending', 'awaiting_approval',
                                                         'in_progress')))
                """,
                [ids],
            )
            ended = {row[0] for row in cursor.fetchall()}
        return [plan_id for plan_id in ids if plan_id in ended]
    steps = PlanStep.objects.filter(plan=OuterRef("pk"))
    # A step awaiting a gate decision keeps its plan going, as a pending one does.
    busy = steps.filter(
        status__in=[StepStatus.PENDING, StepStatus.AWAITING_APPROVAL, StepStatus.IN_PROGRESS]
    )
    failing = steps.filter(status=StepStatus.FAILED, parent=None)
    ended = set(
        Plan.objects.filter(pk__in=ids)
        .filter(Exists(failing) | ~Exists(busy))
        .values_list("pk", flat=True)
    )
    return [plan_id for plan_id in ids if plan_id in ended]


def _verdict(report: Report, now: datetime, opened: set[str]) -> _Verdict:
    outcome, claim = report.outcome, report.claim
    if outcome.ok:
        return _Verdict(report, StepStatus.COMPLETED)
    recovery = recovering.decide(report, backoff=retry_delay)
    if recovery is not None and recovery.skips_circuit_wait:
        return _recovered(recovery, now)
    if outcome.failure_class in BREAKER_COUNTED and (
        circuits.key(claim.team_id, claim.executor) in opened
    ):
        # Not the step's fault: it waits, unclaimed, until the circuit lets steps through.
        delay = float(settings.PLANGATE_BREAKER_COOLDOWN_SECONDS)
        return _Verdict(
            report,
            StepStatus.PENDING,
            run_after=now + timedelta(seconds=delay),
            delay=delay,
            spared=True,
        )
    if recovery is not None:
        return _recovered(recovery, now)
    if outcome.retryable and claim.failed_attempts < claim.max_attempts:
        delay = retry_delay(claim.failed_attempts, outcome.retry_after)
        return _Verdict(
            report, StepStatus.PENDING, run_after=now + timedelta(seconds=delay), delay=delay
        )
    return _Verdict(report, StepStatus.FAILED)


def _verdict_row(v: _Verdict) -> dict[str, Any]:
    """A verdict as finishing.py's statements take it."""
    return {
        "id": v.report.claim.id,
        "attempt": v.report.claim.attempt,
        "status": v.status,
        "result": v.report.outcome.result if v.status == StepStatus.COMPLETED else None,
        "error": v.report.outcome.error,
        "failure_class": v.report.outcome.failure_class,
        "delay": v.delay,
        "spared": int(v.spared),
        "ask": v.report.ask and v.status == StepStatus.FAILED,
    }


def _recovered(recovery: recovering.Recovery, now: datetime) -> _Verdict:
    return _Verdict(
        recovery.report,
        recovery.status,
        run_after=recovery.run_after(now),
        delay=recovery.delay,
        recovery=recovery,
    )


def _write_verdicts(verdicts: list[_Verdict], now: datetime) -> set[int]:
    """Apply each verdict to its step if the attempt is still in progress; the ids written."""
    if is_postgres():
        return finishing.write_verdicts([_verdict_row(v) for v in verdicts], now)
    accepted: set[int] = set()
    for v in verdicts:
        claim, outcome = v.report.claim, v.report.outcome
        changes: dict[str, Any] = {
            "status": v.status,
            "error": outcome.error,
            "failure_class": outcome.failure_class,
            "run_after": v.run_after,
            "finished_at": None if v.status == StepStatus.PENDING else now,
            "lease_owner": "",
            "lease_expires_at": None,
            "spared_attempts": F("spared_attempts") + int(v.spared),
            "asks_reviewer": v.report.ask and v.status == StepStatus.FAILED,
        }
        if v.status == StepStatus.COMPLETED:
            changes["result"] = outcome.result
        if PlanStep.objects.filter(
            pk=claim.id, attempts=claim.attempt, status=StepStatus.IN_PROGRESS
        ).update(**changes):
            accepted.add(claim.id)
    return accepted


# --- Helpers ------------------------------------------------------------------------------------


def _lock_plans(plan_ids: Iterable[UUID]) -> list[Plan]:
    # In id order, so that two transactions locking overlapping sets of plans wait for each
    # other instead of deadlocking. NO KEY UPDATE: inserting events (a foreign key to the plan)
    # from other transactions is not blocked.
    return list(
        Plan.objects.select_for_update(no_key=True).filter(pk__in=list(plan_ids)).order_by("pk")
    )


def _event(plan: Plan, kind: str, actor: Actor, key: str, data: dict[str, Any]) -> PlanEvent:
    return PlanEvent(plan=plan, kind=kind, step_key=key, actor=actor.label, data=data)


def _save_all_events(events: dict[UUID, list[PlanEvent]], plans: dict[UUID, Plan]) -> None:
    """Write the events of several plans in one statement, in plan order."""
    rows = [e for plan_id in sorted(events, key=str) for e in events[plan_id]]
    if not rows:
        return
    if not is_postgres():
        created = PlanEvent.objects.bulk_create(rows)
        _publish_on_commit((e.plan_id, plans[e.plan_id].team_id, e.pk) for e in created)
        return
    # The same rows as bulk_create() writes, without its work per object: the worker writes
    # an event for every outcome.
    saved = finishing.insert_events([_event_row(e) for e in rows])
    _publish_on_commit((plan_id, plans[plan_id].team_id, pk) for pk, plan_id in saved)


def _event_row(e: PlanEvent) -> dict[str, Any]:
    """An unsaved event as finishing.py's statements take it."""
    return {
        "plan_id": str(e.plan_id),
        "kind": e.kind,
        "step_key": e.step_key,
        "actor": e.actor,
        "actor_user_id": e.actor_user_id,
        "source": e.source,
        "role": e.role,
        "data": e.data,
    }


def _save_events(plan: Plan, events: list[PlanEvent]) -> None:
    if not events:
        return
    saved = PlanEvent.objects.bulk_create(events)
    _publish_on_commit([(plan.pk, plan.team_id, max(e.pk for e in saved))])


def _publish_on_commit(changes: Iterable[tuple[UUID, int, int]]) -> None:
    """One nudge per plan, with its newest event, once the transaction commits."""
    newest: dict[UUID, tuple[int, int]] = {}
    for plan_id, team_id, event_id in changes:
        if event_id is not None and event_id > newest.get(plan_id, (0, 0))[1]:
            newest[plan_id] = (team_id, event_id)
    if newest:
        batch = [(plan_id, team, event) for plan_id, (team, event) in newest.items()]
        transaction.on_commit(partial(realtime.publish_many, batch))
