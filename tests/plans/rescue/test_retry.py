"""A reviewer retries the failed step of a plan that needs attention, and the plan goes on."""

from __future__ import annotations

from typing import Any

import pytest

from plans.rescue import services as rescue
from plans.services import SYSTEM, Actor
from plans.states import InvalidTransition, StaleVersion
from plans.validation import PlanInvalid
from tests.factories import step
from tests.orchestration.support import events_of, steps_of
from tests.plans.rescue.support import (
    claim_all,
    fail,
    needing_attention,
    run_to_end,
    started,
    succeed,
)

pytestmark = pytest.mark.django_db


def test_it_runs_the_step_again_and_the_plan_completes(team: Any, reviewer: Any) -> None:
    plan = needing_attention(team)

    rescue.step_retry(plan=plan, key="fetch", actor=Actor.for_user(reviewer), version=2)

    plan.refresh_from_db()
    assert plan.status == "executing"
    fetch = steps_of(plan)["fetch"]
    assert (fetch.status, fetch.error, fetch.attempts) == ("pending", "", 1)
    (claimed,) = claim_all()
    assert (claimed.key, claimed.attempt) == ("fetch", 2)
    retried = plan.events.get(kind="step.retried")
    assert retried.actor == f"user:{reviewer.username}"
    assert retried.data["error"] == "the tool broke"
    assert not retried.data["params_changed"]
    succeed(claimed)
    run_to_end(plan)
    assert plan.status == "completed"
    kinds = [k for k, _ in events_of(plan)]
    assert kinds.index("plan.needs_attention") < kinds.index("step.retried")
    assert kinds.index("step.retried") < kinds.index("plan.resumed")


def test_it_runs_the_step_with_the_params_the_reviewer_fixed(team: Any) -> None:
    plan = needing_attention(team)
    fixed = {"function": "list_items", "items": [1, 2, 3]}

    rescue.step_retry(plan=plan, key="fetch", actor=SYSTEM, version=2, params=fixed)

    (claimed,) = claim_all()
    assert claimed.params == fixed
    assert plan.events.get(kind="step.retried").data["params"] == fixed
    succeed(claimed)
    run_to_end(plan)
    assert plan.status == "completed"


def test_it_refuses_params_the_executor_refuses(team: Any) -> None:
    plan = needing_attention(team)

    with pytest.raises(PlanInvalid) as refused:
        rescue.step_retry(
            plan=plan, key="fetch", actor=SYSTEM, version=2, params={"function": "rm_rf"}
        )

    assert refused.value.problems[0].loc == ("params",)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"


def test_it_refuses_a_retry_of_an_older_version(team: Any) -> None:
    plan = needing_attention(team)

    with pytest.raises(StaleVersion) as stale:
        rescue.step_retry(plan=plan, key="fetch", actor=SYSTEM, version=1)

    assert stale.value.current_version == 2


def test_it_refuses_a_retry_once_the_plan_went_on(team: Any) -> None:
    plan = needing_attention(team)
    rescue.step_retry(plan=plan, key="fetch", actor=SYSTEM, version=2)

    with pytest.raises(InvalidTransition, match="the plan is executing"):
        rescue.step_retry(plan=plan, key="fetch", actor=SYSTEM, version=2)


def test_it_keeps_the_plan_held_while_another_failed_step_awaits_a_decision(team: Any) -> None:
    plan = started(team, [step("one", on_failure="ask"), step("two", on_failure="ask")])
    for claimed in claim_all():
        fail(claimed)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"

    rescue.step_retry(plan=plan, key="one", actor=SYSTEM, version=plan.version)

    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    assert claim_all() == []
