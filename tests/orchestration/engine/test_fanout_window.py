"""A max_concurrency that was not checked (written to the database some other way) neither
stalls a fan-out nor crashes the worker: below 1 it counts as 1, anything not a whole number
as the default."""

from __future__ import annotations

from typing import Any

import pytest

from plans import stages
from plans.models import PlanStep
from plans.validation import FAN_OUT_DEFAULT_CONCURRENCY
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list"}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": 3}, 3),
        ({"over": "list", "max_concurrency": 0}, 1),
        ({"over": "list", "max_concurrency": -5}, 1),
        ({"over": "list", "max_concurrency": "two"}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": None}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": 2.5}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": True}, FAN_OUT_DEFAULT_CONCURRENCY),
        (["over", "list"], FAN_OUT_DEFAULT_CONCURRENCY),
    ],
)
def test_window__is_a_whole_number_of_at_least_one(spec: Any, expected: int) -> None:
    assert stages.window(spec) == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("value", [0, "two"])
def test_it_runs_every_item_whatever_max_concurrency_was_stored(team, worker, value):
    plan = submit_plan(
        team,
        [list_step("list", [1, 2, 3]), step("each", "list", for_each={"over": "list"})],
    )
    approve(plan)
    # Past the API's checks, as a restore from an unchecked checkpoint used to write it.
    PlanStep.objects.filter(plan=plan, key="each").update(
        for_each={"over": "list", "max_concurrency": value}
    )

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    each = steps_of(plan)["each"]
    assert [r["inputs"]["item"] for r in each.result] == [1, 2, 3]
