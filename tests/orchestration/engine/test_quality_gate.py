"""With a worker: a step's quality gate reads a number in its result; below the minimum, missing
or not a number, the result is blocked (a `guardrail` failure) and the plan fails."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan
from tests.factories import approve, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def functions(allow_functions: Any) -> None:
    allow_functions(record=f"{guarded.__name__}.record")
    guarded.CALLS.clear()


def run_plan(team: Any, worker: Any, returns: Any, quality: dict[str, Any]) -> Plan:
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "grade",
                    executor="python",
                    params={"function": "record", "returns": returns},
                    quality=quality,
                ),
                step("next", "grade", executor="python", params={"function": "record"}),
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize(
    ("returns", "path", "error"),
    [
        ({"score": 0.62}, "score", "guardrail: quality 0.62 at score is below the minimum 0.8"),
        ({"other": 1}, "score", "guardrail: quality: no value at score"),
        ({"score": "high"}, "score", "guardrail: quality at score is str, not a number"),
        (
            {"grades": [{"score": 0.9}, {"score": 0.5}]},
            "grades.1.score",
            "guardrail: quality 0.5 at grades.1.score is below the minimum 0.8",
        ),
    ],
)
def test_a_result_below_the_gate_is_blocked(team, worker, returns, path, error) -> None:
    plan = run_plan(team, worker, returns, {"path": path, "min": 0.8})

    assert plan.status == "failed"
    grade = steps_of(plan)["grade"]
    assert grade.failure_class == "guardrail"
    assert grade.error == error
    assert grade.result is None
    assert guarded.CALLS == ["grade"]


def test_a_result_at_the_minimum_passes(team, worker) -> None:
    plan = run_plan(
        team, worker, {"grades": [{"score": 0.8}]}, {"path": "grades.0.score", "min": 0.8}
    )

    assert plan.status == "completed"
    assert guarded.CALLS == ["grade", "next"]
