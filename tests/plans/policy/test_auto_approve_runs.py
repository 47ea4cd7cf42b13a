"""A plan a rule approves is started and run by a worker, as any approved plan."""

from __future__ import annotations

from typing import Any

import pytest

from plans.states import PlanStatus
from tests.factories import step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of
from tests.plans.policy.support import put_policy, rule

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_runs_a_plan_the_policy_approved(team: Any, worker: Any) -> None:
    put_policy(team, [rule("echo-only", "auto_approve", {"executors_within": ["echo"]})])

    plan = submit_plan(team, [step("a"), step("b", "a")])
    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert {k: s.status for k, s in steps_of(plan).items()} == {"a": "completed", "b": "completed"}
