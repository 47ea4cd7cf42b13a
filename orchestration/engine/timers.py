"""Firing decision timers (deadlines and reminders), exactly once whatever the number of workers.

One timer, one transaction: claim it (`SELECT ... FOR UPDATE SKIP LOCKED`: other workers pass
over it to the next due timer instead of waiting), mark it fired with a compare-and-swap on
`fired_at IS NULL`, act through plans/deadlines/services.py, commit. The mark and the action
commit together or not at all: a worker that dies mid-firing leaves nothing behind but a
rolled-back transaction and a released row lock, and the next worker fires the timer. On SQLite
the single writer serialises workers, and the compare-and-swap keeps a second firing out.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from plans.deadlines.services import timer_fire
from plans.models import DecisionTimer

logger = logging.getLogger(__name__)

# Timers fired per call, so that one busy moment does not hold up a worker's other work.
BATCH = 50


def timer_claim(now: datetime) -> DecisionTimer | None:
    """The earliest due timer no other worker is firing, locked until the transaction ends.
    Call inside a transaction."""
    due = DecisionTimer.objects.filter(fired_at=None, fire_at__lte=now).order_by("fire_at", "id")
    if connection.vendor == "postgresql":
        # of=self: the timer row only; the plan is locked by the service, in the usual order
        # for the plan's own changes.
        due = due.select_for_update(skip_locked=True, of=("self",))
    return due.select_related("plan").first()


def timers_fire_due(*, limit: int = BATCH, now: datetime | None = None) -> int:
    """Fire up to `limit` due timers, each in its own transaction. Returns how many fired."""
    fired = 0
    for _ in range(limit):
        moment = now or timezone.now()
        timer: DecisionTimer | None = None
        try:
            with transaction.atomic():
                timer = timer_claim(moment)
                if timer is None:
                    break
                outcome = _fire(timer, moment)
        except Exception:
            # A timer whose action fails every time must not block the others behind it, nor
            # be retried forever: it is recorded as failed, in a transaction of its own.
            logger.exception("could not fire decision timer %s", timer.pk if timer else "?")
            if timer is None:
                raise
            DecisionTimer.objects.filter(pk=timer.pk, fired_at=None).update(
                fired_at=timezone.now(), outcome="failed; see the worker's log"
            )
            fired += 1
            continue
        if outcome is not None:
            fired += 1
            logger.info("decision timer %s (%s) fired: %s", timer.pk, timer.kind, outcome)
    return fired


def _fire(timer: DecisionTimer, now: datetime) -> str | None:
    # Compare-and-swap: whoever marks it first fires it; anyone else finds it fired (on
    # PostgreSQL the row lock above already keeps them away).
    marked = DecisionTimer.objects.filter(pk=timer.pk, fired_at=None).update(fired_at=now)
    if not marked:
        return None
    outcome = timer_fire(timer=timer)
    DecisionTimer.objects.filter(pk=timer.pk).update(outcome=outcome[:200])
    return outcome
