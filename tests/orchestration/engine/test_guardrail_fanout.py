"""With a worker: a fan-out step's guardrails and quality gate check each item's run. An item
whose input or result is blocked fails only itself (null in the fan-out's result), as any
failing item does; the executor never sees a blocked item."""

from __future__ import annotations

from typing import Any

import pytest

from executors.protocol import StepSpec
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

SEEN: list[Any] = []


def grade(spec: StepSpec) -> dict[str, Any]:
    SEEN.append(spec.inputs["item"])
    return {"word": spec.inputs["item"], "score": len(spec.inputs["item"]) / 10}


def test_each_item_is_checked(team, worker, allow_functions) -> None:
    allow_functions(grade=f"{__name__}.grade")
    SEEN.clear()
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", ["forbidden", "ok", "excellent"]),
                step(
                    "each",
                    "list",
                    executor="python",
                    params={"function": "grade"},
                    for_each={"over": "list"},
                    guardrails={"input": [{"deny": "forbid"}]},
                    quality={"path": "score", "min": 0.5},
                ),
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()

    assert sorted(SEEN) == ["excellent", "ok"]
    steps = steps_of(plan)
    assert steps["each"].result == [None, None, {"word": "excellent", "score": 0.9}]
    assert steps["each[0]"].failure_class == "guardrail"
    assert "blocked the input" in steps["each[0]"].error
    assert steps["each[1]"].error == "guardrail: quality 0.2 at score is below the minimum 0.5"
    assert steps["each[1]"].result is None
    assert plan.status == "completed"
