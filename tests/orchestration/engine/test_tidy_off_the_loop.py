"""On PostgreSQL the chores that touch none of a worker's running steps (putting back steps whose
leases expired, firing decision timers) run on a thread of their own, with its own connection:
the loop that records outcomes and claims the next steps never waits for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans.models import PlanStep
from tests.factories import approve, step, submit_plan
from tests.plans.deadlines.support import draft, due

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_due_timer_and_an_expired_lease_are_handled_off_the_loop(team, worker):
    team.reminder_seconds = [1800]
    team.save()
    reminded = draft(team, decision_deadline=3600)
    assert due(reminded, kind="reminder") == 1
    # A step another worker claimed, whose lease ran out (that worker died).
    lost = approve(submit_plan(team, [step("a")]))
    lost.status = "executing"
    lost.save(update_fields=["status"])
    PlanStep.objects.filter(plan=lost).update(
        status="in_progress",
        attempts=1,
        lease_owner="gone",
        lease_expires_at=timezone.now() - timedelta(seconds=5),
    )
    worker._next_reclaim = worker._next_timers = 0  # both are due

    with CaptureQueriesContext(connection) as queries:
        worker.housekeep()

    on_the_loop = " ".join(q["sql"] for q in queries.captured_queries)
    assert "plans_decisiontimer" not in on_the_loop
    assert "lease_expires_at" not in on_the_loop
    assert worker.tidying is not None
    assert worker.tidying.result(timeout=30) is True
    # Both were done all the same, on the other thread.
    assert reminded.events.filter(kind="deadline.soon").count() == 1
    a = PlanStep.objects.get(plan=lost)
    assert (a.status, a.lease_owner) == ("pending", "")
