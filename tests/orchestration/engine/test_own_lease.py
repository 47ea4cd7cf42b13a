"""A worker whose own leases lapsed (the database was away longer than a lease) keeps running
its steps: it does not take them back from itself, and renews them when it can."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from executors.protocol import StepSpec
from plans.models import PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)

GATE = threading.Event()


def wait_for_gate(spec: StepSpec) -> str:
    GATE.wait(10)
    return "done"


@pytest.fixture(autouse=True)
def gate() -> Iterator[None]:
    GATE.clear()
    yield
    GATE.set()


def test_it_keeps_running_a_step_whose_lease_lapsed_and_renews_it(team, worker, allow_functions):
    allow_functions(wait_for_gate=f"{__name__}.wait_for_gate")
    plan = approve(
        submit_plan(team, [step("a", executor="python", params={"function": "wait_for_gate"})])
    )
    assert worker.start_approved_plans()
    assert worker.running
    PlanStep.objects.filter(plan=plan).update(lease_expires_at=timezone.now() - timedelta(1))

    worker._next_reclaim = 0  # a reclaim round is due
    assert not worker.reclaim_expired()
    worker.heartbeat(force=True)

    a = PlanStep.objects.get(plan=plan)
    assert (a.status, a.lease_owner, a.attempts) == ("in_progress", "test", 1)
    assert a.lease_expires_at > timezone.now()
    GATE.set()
    run_until_idle(worker)
    a.refresh_from_db()
    assert (a.status, a.result, a.attempts) == ("completed", "done", 1)
    assert [kind for kind, _ in events_of(plan)].count("step.started") == 1
