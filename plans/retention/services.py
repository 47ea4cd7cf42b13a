"""Event retention: removing the old events of plans that ended long ago.

A plan's event log grows with every attempt of every step. Once a plan has ended, what its page
and the API read of it is its steps; its events are history. `events_prune` removes the events of
plans that ended before a cutoff, in batches (each its own short transaction, so a worker or a page
never waits long behind it), and keeps every event the audit export and the decision times read
(plans/audit/), unless told to remove those too. The events of a plan that has not ended are
never removed, however old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from plans.audit.selectors import AUDIT_KINDS
from plans.models import Plan, PlanEvent
from plans.states import PLAN_TERMINAL

# Plans looked at together: their events are deleted in batches of `batch_size`.
PLANS_PER_ROUND = 500


@dataclass(frozen=True)
class Pruned:
    """What a prune removed (or, dry, would remove): events, and the plans they were of."""

    events: int
    plans: int


def events_prune(
    *,
    ended_before: datetime,
    batch_size: int = 5000,
    keep_audit: bool = True,
    dry_run: bool = False,
) -> Pruned:
    """Delete the events of plans that ended (completed, failed or cancelled) before
    `ended_before`: all of them but the audit export's kinds, or all with `keep_audit=False`.
    With `dry_run`, only count them. Deletes at most `batch_size` events per transaction;
    outbox messages of the deleted events go with them. Raises ValueError for a batch size
    below 1."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ended = Plan.objects.filter(status__in=PLAN_TERMINAL, finished_at__lt=ended_before)
    events_total = plans_total = 0
    last_pk = None
    while True:
        # Keyset pagination over the plans' ids: each round is one index range, however many
        # plans were pruned before.
        round_plans = ended.order_by("pk")
        if last_pk is not None:
            round_plans = round_plans.filter(pk__gt=last_pk)
        plan_ids = list(round_plans.values_list("pk", flat=True)[:PLANS_PER_ROUND])
        if not plan_ids:
            return Pruned(events=events_total, plans=plans_total)
        last_pk = plan_ids[-1]
        doomed = PlanEvent.objects.filter(plan_id__in=plan_ids)
        if keep_audit:
            doomed = doomed.exclude(kind__in=AUDIT_KINDS)
        if dry_run:
            events_total += doomed.count()
            plans_total += doomed.values("plan_id").distinct().count()
            continue
        touched: set[object] = set()
        while ids := list(doomed.order_by("id").values_list("id", "plan_id")[:batch_size]):
            # One short transaction per batch: a plan that ended stays ended, so nothing another
            # writer does can make these events needed again between batches.
            with transaction.atomic():
                PlanEvent.objects.filter(id__in=[i for i, _ in ids]).delete()
            events_total += len(ids)
            touched.update(plan for _, plan in ids)
        plans_total += len(touched)
