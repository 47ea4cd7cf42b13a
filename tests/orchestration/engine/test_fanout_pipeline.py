"""A pipeline takes each item through its stages in turn; a stage may end an item's chain early."""

from __future__ import annotations

from typing import Any

import pytest

from executors.protocol import Final, StepSpec
from plans.models import PlanEvent
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(spec: StepSpec) -> dict[str, Any]:
    return {"n": spec.inputs["item"]}


def check(spec: StepSpec) -> Any:
    """Even numbers need no enriching: their chain ends here."""
    found = spec.inputs["item"]
    if found["n"] % 2 == 0:
        return Final({**found, "even": True})
    return found


def enrich(spec: StepSpec) -> dict[str, Any]:
    return {**spec.inputs["item"], "enriched": spec.params["label"]}


def test_it_runs_each_item_through_its_stages_and_ends_chains_early(team, worker, allow_functions):
    allow_functions(
        fetch=f"{__name__}.fetch", check=f"{__name__}.check", enrich=f"{__name__}.enrich"
    )
    stages = [
        {"name": "fetch", "executor": "python", "params": {"function": "fetch"}},
        {"name": "check", "executor": "python", "params": {"function": "check"}},
        {
            "name": "enrich",
            "executor": "python",
            "params": {"function": "enrich", "label": "x"},
            "max_attempts": 2,
        },
    ]
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", [1, 2, 3, 4]),
                step("each", "list", for_each={"over": "list", "stages": stages}),
            ],
        )
    )

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    steps = steps_of(plan)
    assert steps["each"].result == [
        {"n": 1, "enriched": "x"},
        {"n": 2, "even": True},
        {"n": 3, "enriched": "x"},
        {"n": 4, "even": True},
    ]
    assert steps["each"].error == ""
    for i in (1, 3):  # the even numbers
        enriched = steps[f"each[{i}].enrich"]
        assert (enriched.status, enriched.skip_reason) == ("skipped", "ended early by stage check")
        assert enriched.attempts == 0
    for i in (0, 2):
        assert [steps[f"each[{i}].{s}"].status for s in ("fetch", "check", "enrich")] == [
            "completed"
        ] * 3
        # Each stage gets the previous stage's result as its item.
        assert steps[f"each[{i}].enrich"].item == {"n": i + 1}
        assert steps[f"each[{i}].enrich"].max_attempts == 2
    assert steps["each[0].fetch"].item == 1
    skipped = PlanEvent.objects.filter(plan=plan, kind="step.skipped")
    assert sorted(skipped.values_list("step_key", flat=True)) == [
        "each[1].enrich",
        "each[3].enrich",
    ]
    expanded = PlanEvent.objects.get(plan=plan, kind="step.expanded")
    assert expanded.data["stages"] == ["fetch", "check", "enrich"]
    assert expanded.data["steps"] == 12
