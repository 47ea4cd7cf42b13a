"""With a worker: a guardrail with on_block "ask" puts the plan in needs_attention instead of
failing it; the reviewer's retry or skip lets it go on."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan
from plans.rescue import services as rescue
from plans.services import SYSTEM, step_skip
from tests.factories import approve, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def functions(allow_functions: Any) -> None:
    allow_functions(record=f"{guarded.__name__}.record")
    guarded.CALLS.clear()


def held_plan(team: Any, worker: Any) -> Plan:
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "draft",
                    executor="python",
                    params={"function": "record", "returns": {"text": "call 555-0100"}},
                    guardrails={"output": [{"deny": "\\d{3}-\\d{4}"}], "on_block": "ask"},
                ),
                step("publish", "draft", executor="python", params={"function": "record"}),
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()
    return plan


def test_a_block_that_asks_holds_the_plan_and_a_retry_resumes_it(team, worker) -> None:
    plan = held_plan(team, worker)

    assert plan.status == "needs_attention"
    draft = steps_of(plan)["draft"]
    assert draft.failure_class == "guardrail"
    assert draft.asks_reviewer
    assert "matched '555-0100'" in draft.error
    assert guarded.CALLS == ["draft"]

    rescue.step_retry(
        plan=plan,
        key="draft",
        actor=SYSTEM,
        version=plan.version,
        params={"function": "record", "returns": {"text": "call the front desk"}},
    )
    run_until_idle(worker)
    plan.refresh_from_db()

    assert plan.status == "completed"
    assert steps_of(plan)["draft"].result == {"text": "call the front desk"}
    assert guarded.CALLS == ["draft", "draft", "publish"]


def test_a_skip_lets_the_plan_go_on_without_the_result(team, worker) -> None:
    plan = held_plan(team, worker)
    assert plan.status == "needs_attention"

    step_skip(plan=plan, key="draft", actor=SYSTEM, reason="not needed")
    run_until_idle(worker)
    plan.refresh_from_db()

    assert plan.status == "completed"
    assert guarded.CALLS == ["draft", "publish"]


def test_without_ask_the_same_block_fails_the_plan(team, worker) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "draft",
                    executor="python",
                    params={"function": "record", "returns": "555-0100"},
                    guardrails={"output": [{"deny": "\\d{3}-\\d{4}"}]},
                )
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()

    assert plan.status == "failed"
