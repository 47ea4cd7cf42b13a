"""Starting an approved plan claims its first steps in the same transaction: they start without
waiting for another round of the worker."""

from __future__ import annotations

from typing import Any

import pytest

from orchestration.engine.worker import Worker
from tests.factories import approve, step, submit_plan
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
