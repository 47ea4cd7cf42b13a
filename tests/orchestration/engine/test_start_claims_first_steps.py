"""Starting an approved plan claims its first steps in the same transaction: they start without
waiting for another round of the worker."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orchestration.engine import queue
from orchestration.engine.worker import Worker
from tests.factories import WORKER, approve, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_started_plan_hands_its_ready_steps_to_the_starting_worker(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b"), step("c", "a")], max_concurrency=5))
    with Worker(name="starter", concurrency=1, listen=False) as worker:
        assert worker.start_approved_plans()

        plan.refresh_from_db()
        assert plan.status == "executing"
        steps = steps_of(plan)
        # As many as the worker has slots for, in plan order; c still waits for a.
        assert [k for k, s in sorted(steps.items()) if s.status == "in_progress"] == ["a"]
        assert steps["a"].lease_owner == "starter"
        assert [job.claim.key for job in worker.running.values()] == ["a"]
        kinds = list(plan.events.order_by("id").values_list("kind", "step_key"))
        assert kinds[-2:] == [("plan.started", ""), ("step.started", "a")]


def test_a_worker_with_no_free_slot_starts_the_plan_and_leaves_its_steps(team: Any) -> None:
    first = approve(submit_plan(team, [step("a")], goal="first"))
    with Worker(name="busy", concurrency=1, listen=False) as worker:
        assert worker.start_approved_plans()
        assert [job.claim.plan_id for job in worker.running.values()] == [first.pk]
        second = approve(submit_plan(team, [step("b")], goal="second"))

        assert worker.start_approved_plans()

        second.refresh_from_db()
        assert second.status == "executing"
        # Its step waits for a free slot, here or in another worker.
        assert steps_of(second)["b"].status == "pending"


@pytest.mark.postgres
def test_a_start_picks_locks_starts_and_claims_in_a_few_statements(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    with Worker(name="starter", concurrency=4, listen=False) as worker:
        with CaptureQueriesContext(connection) as queries:
            assert worker.start_approved_plans()

        statements = [
            q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")
        ]
        # The plan picked, locked, started and its event written in one, the claim. No other
        # plan was approved, so there is no second look.
        assert len(statements) == 2, "\n".join(statements)
        assert [job.claim.key for job in worker.running.values()] == ["a"]
    plan.refresh_from_db()
    assert plan.status in {"executing", "completed"}


@pytest.mark.postgres
def test_workers_starting_at_the_same_moment_take_different_plans(team: Any) -> None:
    first = approve(submit_plan(team, [step("a")], goal="first"))
    second = approve(submit_plan(team, [step("b")], goal="second"))
    taken: list[Any] = []
    holding, done = threading.Event(), threading.Event()

    def start_one_and_hold() -> None:
        # Another worker, mid-start: its transaction holds the first plan's row.
        try:
            with transaction.atomic():
                started = queue.plan_start_next(actor=WORKER, slots=queue.Slots("other", 0, 60))
                taken.append(started.plan.pk if started else None)
                holding.set()
                done.wait(10)
        finally:
            connection.close()

    other = threading.Thread(target=start_one_and_hold)
    other.start()
    try:
        assert holding.wait(10)
        mine = queue.plan_start_next(actor=WORKER, slots=queue.Slots("me", 0, 60))
        assert mine is not None
        # Not waiting for the other worker's lock: the next plan.
        assert {taken[0], mine.plan.pk} == {first.pk, second.pk}
        assert queue.plan_start_next(actor=WORKER, slots=queue.Slots("me", 0, 60)) is None
    finally:
        done.set()
        other.join(10)
