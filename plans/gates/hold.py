"""Hold gated steps at the moment they would become ready.

A step is ready to claim when it is pending with `waiting_on = 0` (the partial index
`plans_step_ready`, and the claim in orchestration/engine/queue.py). A gated step
(`approval = "required"`, not yet approved) must never be in that state in an executing plan:
every service that brings a step's `waiting_on` to 0 while the plan executes (the plan's start,
`release_dependents` for finishes and skips, on PostgreSQL and SQLite alike) calls `gates_hold`
in the same transaction, under the plan's row lock, and the step goes straight to
awaiting_approval. So the claim needs no condition of its own and stays an index probe: no
other transaction ever sees the gated step ready, and a worker cannot claim it between its
release and its hold. Only an approval (plans/gates/services.py) puts it back to pending, and
a step once approved is not held again (a retry, a reclaim or a release after it ran).

Imported by plans/services.py, so it imports nothing of the services.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from plans import realtime
from plans.deadlines.schedule import gates_start
from plans.models import EventKind, PlanEvent, PlanStep, StepApproval
from plans.notifications.services import notifications_enqueue
from plans.states import PlanStatus, StepStatus, step_transition

SYSTEM_ACTOR = "system"
# A gate is reached only while its plan runs; an approved plan's gates are reached when it starts.
RUNNING = (PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION)


def gates_hold(steps: QuerySet[PlanStep]) -> list[str]:
    """Move the gated steps among `steps` that are now ready (pending, waiting on nothing, never
    approved, in a running plan) to awaiting_approval, each with a `step.awaiting_approval`
    event listing the keys of the inputs it will receive. Called with the plan locked; returns
    the keys held."""
    ready = list(
        steps.filter(
            approval=StepApproval.REQUIRED,
            status=StepStatus.PENDING,
            waiting_on=0,
            gate_approved_at=None,
            plan__status__in=RUNNING,
        ).values_list("pk", "key", "plan_id", "plan__team_id")
    )
    if not ready:
        return []
    ids = [pk for pk, *_ in ready]
    target = step_transition(StepStatus.PENDING, StepStatus.AWAITING_APPROVAL)
    # Compare-and-swap on the status: under the plan lock nothing else moves these steps, so
    # this updates every row read above.
    PlanStep.objects.filter(pk__in=ids, status=StepStatus.PENDING).update(status=target)
    # Their deadlines run from now, with timers written in this same transaction.
    gates_start(step_ids=ids, now=timezone.now())
    Through = PlanStep.depends_on.through
    inputs: dict[int, list[str]] = defaultdict(list)
    for step_id, key in (
        Through.objects.filter(from_planstep_id__in=ids, to_planstep__status=StepStatus.COMPLETED)
        .order_by("to_planstep__position", "to_planstep_id")
        .values_list("from_planstep_id", "to_planstep__key")
    ):
        inputs[step_id].append(key)
    events = PlanEvent.objects.bulk_create(
        PlanEvent(
            plan_id=plan_id,
            kind=EventKind.STEP_AWAITING_APPROVAL,
            step_key=key,
            actor=SYSTEM_ACTOR,
            data={"inputs": inputs.get(pk, [])},
        )
        for pk, key, plan_id, _ in ready
    )
    notifications_enqueue(events)
    teams = {plan_id: team_id for _, _, plan_id, team_id in ready}
    newest = {e.plan_id: e.pk for e in events}
    # Announced after commit, like every change: a page that reads on this nudge finds it.
    transaction.on_commit(
        partial(
            realtime.publish_many,
            [(plan_id, teams[plan_id], event_id) for plan_id, event_id in newest.items()],
        )
    )
    return [key for _, key, _, _ in ready]
