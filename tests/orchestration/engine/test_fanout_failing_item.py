"""An item that fails fails only itself: the fan-out step completes with null in its place."""

from __future__ import annotations

import pytest

from executors.protocol import StepSpec
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def picky(spec: StepSpec) -> str:
    if spec.inputs["item"] == "bad":
        raise RuntimeError("cannot handle 'bad'")
    return spec.inputs["item"].upper()


def test_it_completes_the_fan_out_with_null_for_a_failed_item_and_runs_on(
    team, worker, allow_functions
):
    allow_functions(picky=f"{__name__}.picky")
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", ["ok", "bad", "fine"]),
                step(
                    "each",
                    "list",
                    executor="python",
                    params={"function": "picky"},
                    max_attempts=1,
                    for_each={"over": "list"},
                ),
                step("after", "each"),
            ],
        )
    )

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    steps = steps_of(plan)
    each = steps["each"]
    assert (each.status, each.result) == ("completed", ["OK", None, "FINE"])
    assert each.error == "1 of 3 items failed: 1"
    bad = steps["each[1]"]
    assert (bad.status, bad.failure_class, bad.attempts) == ("failed", "executor_error", 1)
    assert bad.error == "RuntimeError: cannot handle 'bad'"
    assert steps["after"].status == "completed"
    assert steps["after"].result["inputs"]["each"] == ["OK", None, "FINE"]
