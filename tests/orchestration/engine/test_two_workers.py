"""Workers sharing a database run each step once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from orchestration.engine.worker import Worker
from plans.models import PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_runs_each_step_once_when_workers_compete(team):
    plans = [
        approve(submit_plan(team, [step(f"s{i}") for i in range(6)], goal=f"plan {n}"))
        for n in range(3)
    ]
    workers = [Worker(name=f"w{i}", concurrency=2, poll_seconds=0.01) for i in range(2)]

    def run(worker: Worker) -> None:
        try:
            worker.run_forever(once=True)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads)

    for plan in plans:
        plan.refresh_from_db()
        assert plan.status == "completed"
        assert {s.attempts for s in steps_of(plan).values()} == {1}
    started = PlanEvent.objects.filter(kind="plan.started")
    assert started.count() == 3
    assert PlanEvent.objects.filter(kind="step.started").count() == 18
