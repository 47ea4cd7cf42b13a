"""On PostgreSQL a batch of plain successes is recorded by one statement between the plan locks
and the claim of what it lets go: the same verdicts, events, count-downs and plan ends as the
statement-by-statement finish, behind the same fence."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from executors.protocol import StepOutcome
from orchestration.engine import queue
from plans import services
from tests.factories import WORKER, approve, claim, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def success(claimed: queue.Claim, n: int = 1) -> queue.Report:
    return queue.Report(claim=claimed, outcome=StepOutcome.success({"n": n}))


def finish_and_claim(*reports: queue.Report) -> queue.Finished:
    return queue.steps_finish_and_claim(
        reports=list(reports), actor=WORKER, slots=queue.Slots("test", 10, 60)
    )


def test_a_step_of_a_chain_is_recorded_and_the_next_claimed_in_three_statements(
    team: Any,
) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a"), step("c", "b")]))
    services.plan_start(plan=plan, actor=WORKER)
    first = claim(plan, "a")

    with CaptureQueriesContext(connection) as queries:
        finished = finish_and_claim(success(first))

    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    # Lock the plan, record the outcome, claim what it lets go; nothing else before the commit.
    assert len(statements) == 3, statements
    assert [c.key for c in finished.claims] == ["b"]
    assert finished.claims[0].inputs == {"a": {"n": 1}}
    steps = steps_of(plan)
    assert (steps["a"].status, steps["a"].result) == ("completed", {"n": 1})
    assert (steps["b"].status, steps["c"].status, steps["c"].waiting_on) == (
        "in_progress",
        "pending",
        1,
    )
    completed = plan.events.get(kind="step.completed")
    assert (completed.step_key, completed.data) == ("a", {"attempt": 1})


def test_a_refused_outcome_in_the_batch_writes_nothing_and_lets_nothing_go(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b"), step("after_a", "a"), step("z", "b")]))
    services.plan_start(plan=plan, actor=WORKER)
    claims = queue.steps_claim(worker="test", actor=WORKER, limit=2, lease_seconds=60)
    first, second = sorted(claims, key=lambda c: c.key)
    # b's attempt is no longer the step's own: its outcome must be refused by the fence.
    stale = replace(second, attempt=second.attempt + 1)

    finished = finish_and_claim(success(first), success(stale))

    assert finished.accepted == {first.id}
    assert [c.key for c in finished.claims] == ["after_a"]
    steps = steps_of(plan)
    assert steps["b"].status == "in_progress"
    assert steps["b"].result is None
    assert steps["z"].waiting_on == 1
    assert list(plan.events.filter(kind="step.completed").values_list("step_key", flat=True)) == [
        "a"
    ]


def test_the_last_success_ends_the_plan(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a")]))
    services.plan_start(plan=plan, actor=WORKER)
    [second] = finish_and_claim(success(claim(plan, "a"))).claims
    plan.refresh_from_db()
    assert plan.status == "executing"

    finished = finish_and_claim(success(second, 2))

    assert finished.accepted == {second.id}
    assert finished.claims == []
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert plan.events.filter(kind="plan.completed").count() == 1


def test_a_skipped_step_between_passes_the_release_on(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a"), step("c", "b")]))
    services.plan_start(plan=plan, actor=WORKER)
    first = claim(plan, "a")
    services.step_skip(plan=plan, key="b", actor=WORKER, reason="not needed")

    finished = finish_and_claim(success(first))

    # b stands in for a: once a is done, c goes on, without b's result.
    assert [(c.key, c.inputs) for c in finished.claims] == [("c", {})]
