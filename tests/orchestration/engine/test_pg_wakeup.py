"""On PostgreSQL a worker does not wait for its next poll: an approval, and a step finishing,
wake it at once through LISTEN/NOTIFY."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orchestration.engine import worker as worker_module
from orchestration.engine.worker import Worker
from plans import services
from plans.models import Plan, PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_in_thread, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

POLL = 30.0


def test_an_approval_and_each_finished_step_start_the_next_step_at_once(team: Any) -> None:
    # A chain: each step can only start once the one before has finished.
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c", "b"), step("d", "c")])
    worker = Worker(name="listening", concurrency=2, poll_seconds=POLL)
    loop = run_in_thread(worker)
    try:
        assert worker.listener is not None
        wait_for(worker.listener.connected.is_set, "the worker to LISTEN")
        time.sleep(0.2)  # idle, in a wait of POLL seconds
        started = time.monotonic()
        approve(plan)
        wait_for(
            lambda: Plan.objects.get(pk=plan.pk).status == "completed",
            "the plan to complete",
            timeout=POLL / 2,
        )
        took = time.monotonic() - started
    finally:
        worker.stop()
        loop.join(timeout=10)

    # Five wake-ups (the approval, then a, b, c finishing) well inside one poll interval.
    assert took < 2, took
    steps = {s.key: s for s in PlanStep.objects.filter(plan=plan)}
    for before, after in ("ab", "bc", "cd"):
        gap = (steps[after].started_at - steps[before].finished_at).total_seconds()
        assert gap < 0.5, (before, after, gap)


def test_an_approval_wakes_a_worker_to_start_the_plan_and_nothing_else(
    team: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing falls due by the clock during the test.
    monkeypatch.setattr(worker_module, "LISTENING_POLL_SECONDS", 60)
    plan = submit_plan(team, [step("a")])
    with Worker(name="listening", concurrency=4, poll_seconds=POLL) as worker:
        assert worker.listener is not None
        wait_for(worker.listener.connected.is_set, "the worker to LISTEN")
        worker.run_once()  # the full round every (re)connection asks for

        approve(plan)
        wait_for(
            lambda: worker._approved.is_set() or worker._announced.is_set(),
            "the approval's notification",
        )
        with CaptureQueriesContext(connection) as queries:
            assert worker.run_once()

        # The plan started, and its step claimed: one statement each. No look at other plans'
        # ready steps, none for cancels (a step claimed now was not cancelled before), and no
        # second look for approved plans: there were none.
        statements = [
            q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")
        ]
        assert len(statements) == 2, "\n\n".join(statements)
        assert [job.claim.key for job in worker.running.values()] == ["a"]


def test_steps_left_ready_wake_the_other_workers_to_claim_them_and_not_their_sender(
    team: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing falls due by the clock during the test.
    monkeypatch.setattr(worker_module, "LISTENING_POLL_SECONDS", 60)
    plan = submit_plan(team, [step("a"), step("b"), step("c")])
    with (
        Worker(name="starter", concurrency=1, poll_seconds=POLL) as starter,
        Worker(name="other", concurrency=4, poll_seconds=POLL) as other,
    ):
        assert starter.listener is not None and other.listener is not None
        for worker in (starter, other):
            wait_for(worker.listener.connected.is_set, "the workers to LISTEN")
        heard: list[str | None] = []
        hear = starter.listener.on_notify

        def record(payload: str | None, pid: int) -> None:
            hear(payload, pid)
            heard.append(payload)

        starter.listener.on_notify = record
        other.run_once()  # the full round every (re)connection asks for; nothing to do yet
        first_round, approved = threading.Event(), threading.Event()

        def starter_rounds() -> None:
            # The starter's rounds on a session of their own, as in a worker process.
            try:
                starter.run_once()
                first_round.set()
                approved.wait(10)
                wait_for(starter._approved.is_set, "the approval's notification")
                # Starts the plan and claims one step: its only slot. b and c are left ready.
                starter.run_once()
            finally:
                connection.close()

        thread = threading.Thread(target=starter_rounds)
        thread.start()
        wait_for(first_round.is_set, "the starter's first round")
        approve(plan)
        approved.set()
        thread.join(20)
        assert [job.claim.key for job in starter.running.values()] == ["a"]

        wait_for(lambda: services.READY_PAYLOAD in heard, "the starter's own notification")
        wait_for(other._ready.is_set, "the other worker to hear of the steps left")
        # The sender claimed what it could: its own notification asks nothing of it.
        assert not starter._ready.is_set()
        assert not starter._announced.is_set()
        # The others claim; nothing was cancelled and nothing else announced.
        assert not other._announced.is_set()
        assert not other._notified.is_set()
        assert other.run_once()
        assert sorted(job.claim.key for job in other.running.values()) == ["b", "c"]
