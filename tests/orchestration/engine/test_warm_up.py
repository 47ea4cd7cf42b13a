"""Before its first round a worker pays what its first step would otherwise pay: its hot path's
statements run once on nothing, and its helper threads connect. Nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from orchestration.engine.worker import Worker
from plans.models import PlanEvent, PlanStep
from tests.factories import approve, step, submit_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_warming_up_writes_nothing_and_readies_the_helper_threads(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a")]))
    events = PlanEvent.objects.count()

    with Worker(name="warm", concurrency=2, listen=False) as worker:
        worker.warm_up()

        assert worker.sending is not None and worker.sending.done()
        # Nothing claimed, started or written.
        plan.refresh_from_db()
        assert plan.status == "approved"
        assert set(PlanStep.objects.filter(plan=plan).values_list("status", flat=True)) == {
            "pending"
        }
        assert PlanEvent.objects.count() == events
        assert not worker.running


def test_a_notification_of_new_messages_asks_for_delivery_and_nothing_else(db: Any) -> None:
    with Worker(name="heard", concurrency=1, listen=False) as worker:
        worker._on_notify("outbox")
        assert worker._outbox.is_set()
        assert not worker._announced.is_set()

        # Any other notification is work: approvals, steps left for others, cancels.
        worker._on_notify("")
        assert worker._announced.is_set()
        assert worker._notified.is_set()
