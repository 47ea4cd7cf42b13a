"""A max_concurrency that was not checked (written to the database some other way) neither
stalls a fan-out nor crashes the worker: below 1 it counts as 1, anything not a whole number
as the default."""

from __future__ import annotations

import pytest

from plans.models import PlanStep
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of


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
