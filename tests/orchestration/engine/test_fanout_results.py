"""A fan-out step runs once per item of a dependency's list; its result lists theirs in order."""

from __future__ import annotations

import pytest

from plans.models import PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

LETTERS = ["a", "b", "c", "d", "e"]


def test_it_runs_one_step_per_item_and_collects_the_results_in_input_order(team, worker):
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "list", executor="python", params={"function": "list_items", "items": LETTERS}
                ),
                step(
                    "each", "list", task="shout it", for_each={"over": "list", "max_concurrency": 2}
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
    assert (each.status, each.error, each.attempts) == ("completed", "", 1)
    assert [r["inputs"] for r in each.result] == [
        {"item": letter, "index": i} for i, letter in enumerate(LETTERS)
    ]
    assert {r["task"] for r in each.result} == {"shout it"}
    # The step after it gets the collected list, as from any other step.
    assert steps["after"].result["inputs"] == {"each": each.result}
    items = [steps[f"each[{i}]"] for i in range(len(LETTERS))]
    assert [(s.parent_id, s.item_index, s.item, s.status) for s in items] == [
        (each.pk, i, letter, "completed") for i, letter in enumerate(LETTERS)
    ]
    assert [s.attempts for s in items] == [1] * len(LETTERS)
    expanded = PlanEvent.objects.get(plan=plan, kind="step.expanded")
    assert (expanded.step_key, expanded.data["items"], expanded.data["stages"]) == ("each", 5, [])
    completed = list(
        PlanEvent.objects.filter(plan=plan, kind="step.completed").values_list(
            "step_key", flat=True
        )
    )
    assert completed.index("each") > max(completed.index(f"each[{i}]") for i in range(5))
    assert completed[-1] == "after"


def test_it_fans_out_over_a_list_inside_a_dependencys_result(team, worker):
    plan = approve(
        submit_plan(
            team,
            [
                step("src", params={"data": {"rows": [{"id": 1}, {"id": 2}]}}),
                step("each", "src", for_each={"over": "src.params.data.rows"}),
            ],
        )
    )

    run_until_idle(worker)

    each = steps_of(plan)["each"]
    assert each.status == "completed"
    assert [r["inputs"]["item"] for r in each.result] == [{"id": 1}, {"id": 2}]
