"""The statement that starts a plan on PostgreSQL, for queue.py's plan_start_next.

Starting the oldest approved plan is, in the common case, one statement: pick it and lock it
(SKIP LOCKED, so workers starting plans at the same moment take different ones), move it to
executing, write its `plan.started` event, and say whether it has gated steps to hold and a
team budget to check. Those two, rarer, are then left to plans.services.hold_at_start, which
the portable path (plans.services.plan_start) takes in full. The worker starting a plan has no
user: an event with one (and a role to look up) goes through plan_start as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from orchestration.engine.finishing import plan_columns, plan_from_row, written_event
from plans.models import EventKind, Plan, PlanEvent, StepApproval
from plans.states import PlanStatus, StepStatus, plan_transition

# Checked once, here: the statement moves a plan from one to the other without asking.
_FROM, _TO = PlanStatus.APPROVED, plan_transition(PlanStatus.APPROVED, PlanStatus.EXECUTING)


@dataclass
class Begun:
    """A plan start_next() moved to executing, in the caller's transaction."""

    plan: Plan
    event: PlanEvent
    # Whether the plan has gated steps ready to hold, and its team a monthly budget to check.
    gated: bool
    budgeted: bool
    # Whether other plans were approved too.
    more: bool


def start_next(*, actor: str, source: str, now: datetime) -> Begun | None:
    """Start the approved plan approved first that no other transaction holds; None if there
    is none. `actor` and `source` are the event's."""
    loaded = plan_columns()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH picked AS (
                SELECT id FROM plans_plan
                WHERE status = %(from)s
                ORDER BY approved_at, id
                LIMIT 1
                FOR NO KEY UPDATE SKIP LOCKED
            ),
            started AS (
                UPDATE plans_plan p
                SET status = %(to)s, started_at = %(now)s, updated_at = %(now)s
                FROM picked
                WHERE p.id = picked.id AND p.status = %(from)s
                RETURNING {loaded[0]}
            ),
            event AS (
                INSERT INTO plans_planevent
                    (plan_id, kind, step_key, actor, actor_user_id, source, role, data, created_at)
                SELECT p.id, %(kind)s, '', %(actor)s, NULL, %(source)s, '', '{{}}'::jsonb, %(now)s
                FROM started p
                RETURNING id
            )
            SELECT p.*,
                   (SELECT id FROM event),
                   EXISTS (SELECT 1 FROM plans_planstep s
                           WHERE s.plan_id = p.id AND s.approval = %(required)s
                             AND s.status = %(pending)s AND s.waiting_on = 0
                             AND s.gate_approved_at IS NULL),
                   t.monthly_budget IS NOT NULL,
                   -- Others approved (this statement sees this one as approved still), some
                   -- perhaps being started by other workers: worth another look.
                   EXISTS (SELECT 1 FROM plans_plan o
                           WHERE o.status = %(from)s AND o.id <> p.id)
            FROM started p
            JOIN plans_team t ON t.id = p.team_id
            """,  # noqa: S608 - the model's own columns
            {
                "from": _FROM,
                "to": _TO,
                "now": now,
                "kind": EventKind.PLAN_STARTED,
                "actor": actor,
                "source": source,
                "required": StepApproval.REQUIRED,
                "pending": StepStatus.PENDING,
            },
        )
        row = cursor.fetchone()
    if row is None:
        return None
    *values, event_id, gated, budgeted, more = row
    plan = plan_from_row(values, loaded)
    event = written_event(
        event_id=event_id,
        plan_id=plan.pk,
        kind=EventKind.PLAN_STARTED,
        actor=actor,
        source=source,
        now=now,
    )
    return Begun(plan=plan, event=event, gated=gated, budgeted=budgeted, more=more)
