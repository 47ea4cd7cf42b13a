"""When another step fails the plan, a fan-out stops: waiting items are skipped, it fails."""

from __future__ import annotations

import pytest

from executors.protocol import StepSpec
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def boom(spec: StepSpec) -> None:
    raise ValueError("no way")


def test_it_stops_the_fan_out_when_the_plan_fails(team, worker, allow_functions):
    allow_functions(boom=f"{__name__}.boom")
    sleep = {"executor": "python", "params": {"function": "sleep", "seconds": 0.3}}
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", [1, 2, 3]),
                step(
                    "each",
                    "list",
                    executor="python",
                    params={"function": "sleep", "seconds": 1},
                    for_each={"over": "list", "max_concurrency": 1},
                ),
                # Fails while the first item runs.
                step("nap", **sleep),
                step("boom", "nap", executor="python", params={"function": "boom"}),
            ],
        )
    )

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "failed"
    steps = steps_of(plan)
    assert (steps["boom"].status, steps["boom"].failure_class) == ("failed", "bad_input")
    # The running item was let finish; the others never started.
    assert steps["each[0]"].status == "completed"
    assert [(steps[k].status, steps[k].skip_reason) for k in ("each[1]", "each[2]")] == [
        ("skipped", "plan failed")
    ] * 2
    each = steps["each"]
    assert (each.status, each.error) == ("failed", "stopped: the plan failed")
