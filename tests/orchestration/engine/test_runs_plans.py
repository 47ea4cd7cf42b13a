"""The worker runs an approved plan to completion, each step after its dependencies."""

from __future__ import annotations

from typing import Any

import pytest

from executors.protocol import StepSpec
from plans.models import Plan
from plans.validation import StepDraft
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def collect(spec: StepSpec) -> list[Any]:
    """Every item of the list inputs, then params.add."""
    items = [item for key in sorted(spec.inputs) for item in spec.inputs[key]]
    return [*items, *spec.params.get("add", [])]


def python(key: str, *depends_on: str, add: list[Any]) -> StepDraft:
    return step(key, *depends_on, executor="python", params={"function": "collect", "add": add})


def test_it_runs_a_diamond_in_dependency_order(team, worker, allow_functions):
    allow_functions(collect=f"{__name__}.collect")
    plan = approve(
        submit_plan(
            team,
            [
                python("a", add=[1, 2]),
                python("b", "a", add=[3]),
                python("c", "a", add=[4]),
                step("d", "b", "c", executor="echo"),
                step(
                    "both",
                    "b",
                    "c",
                    executor="combine",
                    params={"operator": "INTERSECT", "left": "b", "right": "c"},
                ),
            ],
        )
    )

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    steps = steps_of(plan)
    assert {key: s.status for key, s in steps.items()} == dict.fromkeys(steps, "completed")
    assert steps["a"].result == [1, 2]
    assert steps["b"].result == [1, 2, 3]
    assert steps["c"].result == [1, 2, 4]
    assert steps["d"].result["inputs"] == {"b": [1, 2, 3], "c": [1, 2, 4]}
    assert steps["both"].result == [1, 2]
    for s in steps.values():
        assert s.attempts == 1
        for dependency in s.depends_on.all():
            assert s.started_at >= dependency.finished_at, (s.key, dependency.key)

    events = events_of(plan)
    assert events[:3] == [("plan.created", ""), ("plan.approved", ""), ("plan.started", "")]
    assert events[-1] == ("plan.completed", "")
    for s in steps.values():
        assert events.count(("step.started", s.key)) == 1
        started = events.index(("step.started", s.key))
        assert started < events.index(("step.completed", s.key))
        for dependency in s.depends_on.all():
            assert events.index(("step.completed", dependency.key)) < started


def test_it_runs_a_delegation_tree_combining_its_branches(team, worker, allow_functions):
    allow_functions(collect=f"{__name__}.collect")

    def task(add: list[Any], **node: Any) -> dict[str, Any]:
        params = {"function": "collect", "add": add}
        return {"type": "task", "task": "collect", "executor": "python", "params": params, **node}

    tree = {
        "goal": "Find what either source knows",
        "plan": {
            "type": "combine",
            "operator": "UNION",
            "left": task(["x", "y"]),
            "right": task(["z"], input=task(["y"])),
        },
    }
    plan = approve(submit_plan(team, delegation=tree))

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    steps = steps_of(plan)
    assert steps["plan.left"].result == ["x", "y"]
    assert steps["plan.right.input"].result == ["y"]
    assert steps["plan.right"].result == ["y", "z"]
    assert steps["plan"].result == ["x", "y", "z"]
    assert steps["plan"].started_at >= max(
        steps["plan.left"].finished_at, steps["plan.right"].finished_at
    )
    assert Plan.objects.get(pk=plan.pk).events.last().kind == "plan.completed"
