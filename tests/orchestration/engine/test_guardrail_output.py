"""With a worker: a step's output guardrails run on its result after a success, before it is
recorded. A blocked result is not stored and never reaches a dependent (which does not run):
the step fails as `guardrail` and the plan fails. A warning keeps the result and is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = {"summary": "ok", "password": "hunter2"}


@pytest.fixture(autouse=True)
def functions(allow_functions: Any, settings: Any) -> None:
    allow_functions(record=f"{guarded.__name__}.record")
    settings.PLANGATE_GUARDRAIL_CHECKS = guarded.CHECKS
    guarded.CALLS.clear()


def run_plan(team: Any, worker: Any, returns: Any, checks: list[Any]) -> Plan:
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "draft",
                    executor="python",
                    params={"function": "record", "returns": returns},
                    guardrails={"output": checks},
                    max_attempts=3,
                ),
                step("publish", "draft", executor="python", params={"function": "record"}),
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize(
    ("check", "says"),
    [
        (
            {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"summary": {}},
                }
            },
            "not valid under the schema",
        ),
        ({"max_bytes": 20}, "over the limit of 20"),
        ({"deny": "hunter\\d"}, "matched 'hunter2'"),
        ({"check": "no_secrets"}, "mentions a password"),
    ],
)
def test_a_blocked_result_is_not_stored_nor_handed_on(team, worker, check, says) -> None:
    plan = run_plan(team, worker, SECRET, [check])

    assert plan.status == "failed"
    steps = steps_of(plan)
    draft = steps["draft"]
    assert draft.status == "failed"
    assert draft.failure_class == "guardrail"
    assert draft.attempts == 1
    assert draft.result is None
    assert says in draft.error
    assert "blocked the output" in draft.error
    # The dependent never ran.
    assert guarded.CALLS == ["draft"]
    assert steps["publish"].status != "completed"
    event = PlanEvent.objects.get(plan=plan, kind="step.failed", step_key="draft")
    assert event.data["guardrails"][0]["verdict"] == "block"
    assert event.data["guardrails"][0]["stage"] == "output"
    # The violation is kept, not the blocked data.
    if "check" not in check:
        assert "hunter2" not in str(event.data).replace("matched 'hunter2'", "")


def test_a_passing_result_goes_on(team, worker) -> None:
    plan = run_plan(
        team,
        worker,
        {"summary": "ok"},
        [{"schema": {"required": ["summary"]}}, {"deny": "hunter"}, {"max_bytes": 100}],
    )

    assert plan.status == "completed"
    assert steps_of(plan)["draft"].result == {"summary": "ok"}
    assert guarded.CALLS == ["draft", "publish"]


def test_a_warning_keeps_the_result(team, worker) -> None:
    plan = run_plan(team, worker, SECRET, [{"check": "no_secrets", "mode": "warn"}])

    assert plan.status == "completed"
    assert steps_of(plan)["draft"].result == SECRET
    event = PlanEvent.objects.get(plan=plan, kind="step.completed", step_key="draft")
    assert event.data["guardrails"] == [
        {
            "stage": "output",
            "check": "check no_secrets",
            "verdict": "warn",
            "message": "mentions a password",
            "source": "step",
        }
    ]
