"""With a worker: PLANGATE_GUARDRAILS sets guardrails for every step of an executor, run before
the step's own; the executor's on_block applies to its checks."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def functions(allow_functions: Any) -> None:
    allow_functions(record=f"{guarded.__name__}.record")
    guarded.CALLS.clear()


def test_the_executors_guardrails_apply_to_its_steps(team, worker, settings) -> None:
    settings.PLANGATE_GUARDRAILS = {
        "python": {"input": [{"deny": "DROP TABLE", "name": "no sql"}], "on_block": "ask"}
    }
    plan = approve(
        submit_plan(
            team,
            [
                step("clean", executor="python", params={"function": "record", "q": "select"}),
                # Another executor's steps are not checked.
                step("echoed", params={"q": "DROP TABLE x"}),
                step(
                    "dirty",
                    "echoed",
                    executor="python",
                    params={"function": "record", "q": "DROP TABLE x"},
                ),
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()

    assert guarded.CALLS == ["clean"]
    steps = steps_of(plan)
    assert steps["echoed"].status == "completed"
    assert steps["dirty"].failure_class == "guardrail"
    assert steps["dirty"].error.startswith("guardrail 'no sql' blocked the input")
    # The executor's on_block "ask": the plan waits for a reviewer.
    assert plan.status == "needs_attention"
    event = PlanEvent.objects.get(plan=plan, kind="step.failed", step_key="dirty")
    assert event.data["guardrails"][0]["source"] == "executor"


def test_the_executors_checks_run_before_the_steps(team, worker, settings) -> None:
    settings.PLANGATE_GUARDRAILS = {
        "python": {"output": [{"max_bytes": 1000, "mode": "warn"}, {"deny": "x{5}"}]}
    }
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "big",
                    executor="python",
                    params={"function": "record", "returns": "x" * 2000},
                    guardrails={"output": [{"max_bytes": 10, "name": "tiny"}]},
                )
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()

    assert plan.status == "failed"
    event = PlanEvent.objects.get(plan=plan, kind="step.failed", step_key="big")
    found = [(f["source"], f["check"], f["verdict"]) for f in event.data["guardrails"]]
    assert found == [
        ("executor", "max_bytes 1000", "warn"),
        ("executor", "deny", "block"),
        ("step", "tiny", "block"),
    ]
    # The first block is the executor's.
    assert steps_of(plan)["big"].error.startswith("guardrail 'deny' blocked the output")
