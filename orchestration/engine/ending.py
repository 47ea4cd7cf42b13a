"""The statement that ends completed plans on PostgreSQL, for queue.py's finish and start.

A plan whose every step has completed or been skipped is completed by one statement: it moves
the plan to completed, writes its `plan.completed` event, and says whether the plan's team has
subscriptions to tell. Any other ending (a failed step, a step that asks a reviewer, a plan
held for attention) is left to plans.services.end_plan_if_done, which decides it in full.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import connection

from orchestration.engine.finishing import written_event
from plans.models import EventKind, PlanEvent
from plans.states import PlanStatus, StepStatus, plan_transition

# Checked once, here: the statement moves plans from one to the other without asking.
_FROM, _TO = PlanStatus.EXECUTING, plan_transition(PlanStatus.EXECUTING, PlanStatus.COMPLETED)
_ENDED_WELL = [StepStatus.COMPLETED, StepStatus.SKIPPED]


@dataclass
class Ended:
    """A plan end_completed() moved to completed, in the caller's transaction."""

    plan_id: UUID
    team_id: int
    event: PlanEvent
    # Whether its team has enabled subscriptions, which may want to hear of it.
    subscribed: bool


def end_completed(
    plan_ids: Collection[UUID], *, actor: str, source: str, now: datetime
) -> list[Ended]:
    """Complete those of these executing plans (locked by the caller) whose every step has
    completed or been skipped. `actor` and `source` are the events'."""
    if not plan_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH done AS (
                UPDATE plans_plan p
                SET status = %(to)s, finished_at = %(now)s, updated_at = %(now)s
                WHERE p.id = ANY(%(ids)s::uuid[]) AND p.status = %(from)s
                  AND NOT EXISTS (SELECT 1 FROM plans_planstep s
                                  WHERE s.plan_id = p.id AND s.status <> ALL(%(well)s))
                RETURNING p.id, p.team_id
            ),
            event AS (
                INSERT INTO plans_planevent
                    (plan_id, kind, step_key, actor, actor_user_id, source, role, data, created_at)
                SELECT d.id, %(kind)s, '', %(actor)s, NULL, %(source)s, '', '{}'::jsonb, %(now)s
                FROM done d
                ORDER BY d.id
                RETURNING id, plan_id
            )
            SELECT d.id, d.team_id, e.id,
                   EXISTS (SELECT 1 FROM plans_subscription s
                           WHERE s.team_id = d.team_id AND s.enabled AND s.disabled_at IS NULL)
            FROM done d
            JOIN event e ON e.plan_id = d.id
            ORDER BY e.id
            """,
            {
                "ids": list(plan_ids),
                "from": _FROM,
                "to": _TO,
                "well": _ENDED_WELL,
                "now": now,
                "kind": EventKind.PLAN_COMPLETED,
                "actor": actor,
                "source": source,
            },
        )
        rows = cursor.fetchall()
    ended = []
    for plan_id, team_id, event_id, subscribed in rows:
        event = written_event(
            event_id=event_id,
            plan_id=plan_id,
            kind=EventKind.PLAN_COMPLETED,
            actor=actor,
            source=source,
            now=now,
        )
        ended.append(Ended(plan_id, team_id, event, subscribed))
    return ended
