"""The statements that record outcomes on PostgreSQL, for queue.py's finish.

A finish takes, under the plan locks, the outcomes of a batch of attempts: it writes each
verdict to its step (fenced by the attempt still in progress), writes the steps' events, counts
down the dependents of the steps that completed and sees which plans may have ended. In the
common case, a batch of plain successes, all of that is one statement (`complete`): its parts
are data-modifying CTEs that read the verdicts' RETURNING rows, so an outcome refused by the
fence writes no event and releases nothing. Other batches (failures, retries, recoveries,
fan-out items, usage to charge) take the statements one by one, with Python between them.

Plans are locked with their rows read by hand rather than through a queryset (the finish runs
for every batch of outcomes), and the same statement reads the circuits of the batch's
executors that have something to reset.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection

from plans.models import Plan, PlanEvent

# The verdicts, one jsonb record each (see queue._write_verdicts), applied where the attempt is
# still in progress: the WHERE is the fence.
_VERDICTS = """
UPDATE plans_planstep s
SET status = v.status,
    result = CASE WHEN v.status = 'completed' THEN v.result ELSE s.result END,
    error = v.error,
    failure_class = v.failure_class,
    -- The retry time by the database's clock, which claiming compares it with.
    run_after = now() + make_interval(secs => v.delay),
    finished_at = CASE WHEN v.status = 'pending' THEN NULL ELSE %(now)s END,
    spared_attempts = s.spared_attempts + v.spared,
    asks_reviewer = v.ask,
    lease_owner = '',
    lease_expires_at = NULL
FROM jsonb_to_recordset(%(verdicts)s::jsonb) AS v(
    id bigint, attempt integer, status text, result jsonb, error text,
    failure_class text, delay double precision, spared integer, ask boolean
)
WHERE s.id = v.id AND s.attempts = v.attempt AND s.status = 'in_progress'
RETURNING s.id, s.plan_id, s.status
"""

# Events given as a jsonb array, written in the order given (so that ids follow it).
_EVENT_COLUMNS = """
INSERT INTO plans_planevent
    (plan_id, kind, step_key, actor, actor_user_id, source, role, data, created_at)
SELECT (v.e ->> 'plan_id')::uuid, v.e ->> 'kind', v.e ->> 'step_key', v.e ->> 'actor',
       (v.e ->> 'actor_user_id')::integer, v.e ->> 'source', v.e ->> 'role', v.e -> 'data', now()
FROM jsonb_array_elements(%(events)s::jsonb) WITH ORDINALITY AS v(e, n)
"""

_COMPLETE = f"""
WITH written AS ({_VERDICTS}),
events AS (
    {_EVENT_COLUMNS}
    -- Only the events of the outcomes the fence let through.
    WHERE (v.e ->> 'step_id')::bigint IN (SELECT id FROM written)
    ORDER BY v.n
    RETURNING id, plan_id
),
counted AS (
    -- The dependents of the steps that completed, counted down (as
    -- plans.services.release_dependents does; it takes the rounds after this one).
    UPDATE plans_planstep s
    SET waiting_on = s.waiting_on - d.n
    FROM (
        SELECT t.from_planstep_id AS id, count(*) AS n
        FROM plans_planstep_depends_on t
        WHERE t.to_planstep_id IN (SELECT id FROM written WHERE status = 'completed')
        GROUP BY t.from_planstep_id
    ) d
    WHERE s.id = d.id
    RETURNING s.id, s.status, s.waiting_on, s.approval, s.gate_approved_at
),
ended AS (
    -- The plans that may have ended (as queue.plans_maybe_done sees them): this statement's
    -- snapshot is from before its own writes, so the steps it completed are left out of those
    -- still busy. Its count-down changes no status.
    SELECT p.id FROM plans_plan p
    WHERE p.id IN (SELECT plan_id FROM written)
      AND (EXISTS (SELECT 1 FROM plans_planstep s
                   WHERE s.plan_id = p.id AND s.status = 'failed' AND s.parent_id IS NULL)
           OR NOT EXISTS (SELECT 1 FROM plans_planstep s
                          WHERE s.plan_id = p.id
                            AND s.status IN ('pending', 'awaiting_approval', 'in_progress')
                            AND s.id <> ALL (ARRAY(SELECT id FROM written))))
)
SELECT 'written', w.id, w.plan_id, NULL, NULL::integer, NULL, NULL::timestamptz FROM written w
UNION ALL
SELECT 'event', e.id, e.plan_id, NULL, NULL, NULL, NULL FROM events e
UNION ALL
SELECT 'counted', c.id, NULL, c.status, c.waiting_on, c.approval, c.gate_approved_at
FROM counted c
UNION ALL
SELECT 'ended', NULL, d.id, NULL, NULL, NULL, NULL FROM ended d
"""  # noqa: S608 - the module's own fragments


def written_event(
    *, event_id: int, plan_id: Any, kind: str, actor: str, source: str, now: datetime
) -> PlanEvent:
    """The plan event (no step, no user, no data) a statement of the engine just wrote, as the
    object the services would have made of it."""
    event = PlanEvent(
        id=event_id,
        plan_id=plan_id,
        kind=kind,
        step_key="",
        actor=actor,
        actor_user=None,
        source=source,
        role="",
        data={},
        created_at=now,
    )
    event._state.adding = False
    return event


# What plan_columns() returns: the column list, the attribute names, and the converters by index.
PlanColumns = tuple[str, list[str], list[tuple[int, list[Callable[..., Any]], Any]]]


def plan_columns() -> PlanColumns:
    """The columns the engine reads of a plan it locks, as `p."column"` (all but its delegation
    tree, which can be large and which the engine never reads), their attribute names, and the
    conversions Django's fields make of them."""
    fields: list[Any] = [f for f in Plan._meta.concrete_fields if f.attname != "delegation"]
    converters = [
        (i, f.get_db_converters(connection), f)
        for i, f in enumerate(fields)
        if f.get_db_converters(connection)
    ]
    columns = ", ".join(f'p."{f.column}"' for f in fields)
    return columns, [f.attname for f in fields], converters


def plan_from_row(values: Sequence[Any], loaded: PlanColumns) -> Plan:
    """The plan whose columns a statement returned, in the order of `loaded` (what
    plan_columns() returned for the statement)."""
    _, names, converters = loaded
    values = list(values)
    for i, field_converters, field in converters:
        for convert in field_converters:
            values[i] = convert(values[i], field, connection)
    return Plan.from_db(connection.alias, names, values)


def lock_plans(
    plan_ids: Iterable[UUID], executors: Iterable[str]
) -> tuple[dict[UUID, Plan], set[tuple[int, str]]]:
    """Lock these plans, in id order (two batches locking overlapping plans wait for each
    other instead of deadlocking), FOR NO KEY UPDATE (events, a foreign key to the plan, may be
    inserted meanwhile). Returns the plans by id, and the (team id, executor) pairs among
    these plans' teams and `executors` whose circuit is not closed with no failures counted."""
    loaded = plan_columns()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT {loaded[0]},
                   ARRAY(SELECT c.executor FROM plans_executorcircuit c
                         WHERE c.team_id = p.team_id AND c.executor = ANY(%s)
                           AND NOT (c.state = 'closed' AND c.consecutive_failures = 0))
            FROM plans_plan p
            WHERE p.id = ANY(%s::uuid[])
            ORDER BY p.id
            FOR NO KEY UPDATE OF p
            """,  # noqa: S608 - the model's own columns
            [sorted(set(executors)), list(plan_ids)],
        )
        rows = cursor.fetchall()
    plans: dict[UUID, Plan] = {}
    unclean: set[tuple[int, str]] = set()
    for row in rows:
        plan = plan_from_row(row[:-1], loaded)
        plans[plan.pk] = plan
        unclean |= {(plan.team_id, executor) for executor in row[-1]}
    return plans, unclean


def write_verdicts(rows: list[dict[str, Any]], now: datetime) -> set[int]:
    """Apply the verdicts to their steps where the attempt is still in progress; the ids
    written."""
    with connection.cursor() as cursor:
        cursor.execute(_VERDICTS, {"now": now, "verdicts": json.dumps(rows)})
        return {row[0] for row in cursor.fetchall()}


def insert_events(values: list[dict[str, Any]]) -> list[tuple[int, UUID]]:
    """Write the events (rows of plans_planevent's columns as JSON), in the order given; their
    (id, plan id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{_EVENT_COLUMNS} ORDER BY v.n RETURNING id, plan_id", {"events": json.dumps(values)}
        )
        return [(row[0], row[1]) for row in cursor.fetchall()]


@dataclass
class Completed:
    """What complete() wrote."""

    # The steps the fence let through.
    accepted: set[int]
    # The events written, (id, plan id).
    events: list[tuple[int, UUID]]
    # The dependents counted down: (id, status, waiting_on, approval, gate_approved_at).
    counted: list[Sequence[Any]]
    # The plans that may have ended, to be decided by plans.services.end_plan_if_done.
    ended: list[UUID]


def complete(rows: list[dict[str, Any]], events: list[dict[str, Any]], now: datetime) -> Completed:
    """Record a batch of successes in one statement: `rows` their verdicts (as for
    write_verdicts), `events` their step.completed events (each with the `step_id` it is for)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _COMPLETE, {"now": now, "verdicts": json.dumps(rows), "events": json.dumps(events)}
        )
        result = cursor.fetchall()
    done = Completed(set(), [], [], [])
    for kind, pk, plan_id, status, waiting_on, approval, gate_approved_at in result:
        if kind == "written":
            done.accepted.add(pk)
        elif kind == "event":
            done.events.append((pk, plan_id))
        elif kind == "counted":
            done.counted.append((pk, status, waiting_on, approval, gate_approved_at))
        else:
            done.ended.append(plan_id)
    return done
