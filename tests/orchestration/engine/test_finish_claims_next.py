"""Recording a step's outcome claims, in the same transaction, the steps it lets go: a chain goes
on without waiting for another round or another worker, and the rules of any claim hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from executors.protocol import StepOutcome
from orchestration.engine import queue
from plans import services
from plans.models import CircuitState, ExecutorCircuit, PlanStep
from tests.factories import WORKER, approve, claim, list_step, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def finish_and_claim(claimed: queue.Claim, limit: int = 10) -> queue.Finished:
    return queue.steps_finish_and_claim(
        reports=[queue.Report(claim=claimed, outcome=StepOutcome.success({"n": 1}))],
        actor=WORKER,
        slots=queue.Slots("test", limit, 60),
    )


def started(plan: Any) -> list[str]:
    return sorted(
        PlanStep.objects.filter(plan=plan, status="in_progress").values_list("key", flat=True)
    )


def test_it_claims_the_dependents_a_finish_lets_go_with_their_inputs(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a"), step("c", "a"), step("d", "b")]))
    services.plan_start(plan=plan, actor=WORKER)
    first = claim(plan, "a")

    finished = finish_and_claim(first)

    assert finished.accepted == {first.id}
    assert [c.key for c in finished.claims] == ["b", "c"]
    assert all(c.inputs == {"a": {"n": 1}} for c in finished.claims)
    assert started(plan) == ["b", "c"]
    steps = steps_of(plan)
    assert steps["b"].lease_owner == "test"
    # Every claim is an attempt with its event, as any other claim.
    assert plan.events.filter(kind="step.started", step_key="b").count() == 1
    # d still waits for b: nothing else was claimed.
    assert steps["d"].status == "pending"


def test_it_claims_no_more_than_the_free_slots_and_the_plans_max_concurrency(team: Any) -> None:
    plan = approve(
        submit_plan(team, [step("a"), *(step(f"s{i}", "a") for i in range(4))], max_concurrency=2)
    )
    services.plan_start(plan=plan, actor=WORKER)

    finished = finish_and_claim(claim(plan, "a"), limit=10)
    assert [c.key for c in finished.claims] == ["s0", "s1"]
    # The others wait for a slot of this plan: no other worker could take them now, so none is
    # woken for them.
    assert finished.settled


def test_it_wakes_other_workers_when_its_own_slots_run_out(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), *(step(f"s{i}", "a") for i in range(4))]))
    services.plan_start(plan=plan, actor=WORKER)

    finished = finish_and_claim(claim(plan, "a"), limit=1)

    assert [c.key for c in finished.claims] == ["s0"]
    # s1..s3 are ready and the plan has slots for them: other workers are told.
    assert not finished.settled
    assert started(plan) == ["s0"]


def test_a_finish_refills_the_slots_it_frees_with_the_plans_other_ready_steps(team: Any) -> None:
    # Independent steps: an outcome lets no dependent go, but it frees a slot of its plan, and
    # the next ready step takes it in the same transaction.
    plan = approve(submit_plan(team, [step(f"s{i}") for i in range(5)], max_concurrency=2))
    services.plan_start(plan=plan, actor=WORKER)
    first, _ = queue.steps_claim(worker="test", actor=WORKER, limit=10, lease_seconds=60)

    finished = finish_and_claim(first)

    assert [c.key for c in finished.claims] == ["s2"]
    assert started(plan) == ["s1", "s2"]
    assert finished.settled


def test_it_leaves_alone_the_steps_of_an_executor_whose_circuit_is_open(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), list_step("b", [1], "a")]))
    services.plan_start(plan=plan, actor=WORKER)
    first = claim(plan, "a")
    ExecutorCircuit.objects.create(
        team=team,
        executor="python",
        state=CircuitState.OPEN,
        consecutive_failures=3,
        open_until=timezone.now() + timedelta(seconds=60),
    )

    finished = finish_and_claim(first)

    assert finished.claims == []
    assert steps_of(plan)["b"].status == "pending"
