"""With a worker: a step's input guardrails run on what the executor would get, before it runs.
A blocked input never reaches the executor and fails the step as `guardrail`, not retried; a
warning lets it run and is recorded in the step's event."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def functions(allow_functions: Any, settings: Any) -> None:
    allow_functions(record=f"{guarded.__name__}.record")
    settings.PLANGATE_GUARDRAIL_CHECKS = guarded.CHECKS
    guarded.CALLS.clear()


def run_step(team: Any, worker: Any, params: dict[str, Any], checks: list[Any]) -> Plan:
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "send",
                    executor="python",
                    params={"function": "record", **params},
                    guardrails={"input": checks},
                    max_attempts=3,
                ),
                step("after", "send"),
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize(
    ("check", "says"),
    [
        ({"schema": {"properties": {"params": {"required": ["to"]}}}}, "'to' is a required"),
        ({"max_bytes": 40}, "over the limit of 40"),
        ({"deny": "pass(word)?"}, "matched 'password'"),
        ({"check": "no_secrets"}, "mentions a password"),
        ({"check": "always_raises"}, "raised RuntimeError: the check broke"),
    ],
)
def test_it_blocks_the_input_before_the_executor_runs(team, worker, check, says) -> None:
    plan = run_step(team, worker, {"note": "the password is hunter2"}, [check])

    assert guarded.CALLS == []
    assert plan.status == "failed"
    send = steps_of(plan)["send"]
    assert send.status == "failed"
    assert send.failure_class == "guardrail"
    # Never retried, though it had attempts left.
    assert send.attempts == 1
    assert says in send.error
    assert "blocked the input" in send.error
    assert steps_of(plan)["after"].status != "completed"
    event = PlanEvent.objects.get(plan=plan, kind="step.failed", step_key="send")
    [finding] = event.data["guardrails"]
    assert finding["stage"] == "input"
    assert finding["verdict"] == "block"
    assert says in finding["message"]


def test_it_runs_when_every_input_check_passes(team, worker) -> None:
    checks = [
        {"schema": {"properties": {"params": {"required": ["to"]}}}},
        {"max_bytes": 1000},
        {"deny": "password"},
        {"check": "no_secrets"},
    ]
    plan = run_step(team, worker, {"to": "ops", "returns": 1}, checks)

    assert guarded.CALLS == ["send"]
    assert plan.status == "completed"
    event = PlanEvent.objects.get(plan=plan, kind="step.completed", step_key="send")
    assert "guardrails" not in event.data


def test_a_warning_lets_the_step_run_and_is_recorded(team, worker) -> None:
    plan = run_step(
        team,
        worker,
        {"note": "password", "returns": 2},
        [{"deny": "password", "mode": "warn", "name": "no passwords"}],
    )

    assert guarded.CALLS == ["send"]
    assert plan.status == "completed"
    event = PlanEvent.objects.get(plan=plan, kind="step.completed", step_key="send")
    assert event.data["guardrails"] == [
        {
            "stage": "input",
            "check": "no passwords",
            "verdict": "warn",
            "message": "matched 'password' at character 51",
            "source": "step",
        }
    ]


def test_it_checks_the_results_a_step_receives(team, worker) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "source", executor="python", params={"function": "record", "returns": "x" * 50}
                ),
                step(
                    "use",
                    "source",
                    executor="python",
                    params={"function": "record"},
                    guardrails={
                        "input": [
                            {
                                "schema": {
                                    "properties": {
                                        "inputs": {"properties": {"source": {"maxLength": 10}}}
                                    }
                                }
                            }
                        ]
                    },
                ),
            ],
        )
    )
    run_until_idle(worker)

    assert guarded.CALLS == ["source"]
    use = steps_of(plan)["use"]
    assert use.failure_class == "guardrail"
    assert "inputs/source" in use.error
