"""With a worker: a delegation tree's action node takes its `$from` input from another node's
result, and its `$input` from the plan's inputs, when it starts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import approve, submit_plan
from tests.orchestration import bound
from tests.orchestration.engine import bindings_scenario as scenario
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def actions(settings: Any, allow_functions: Any) -> None:
    scenario.setup(settings, allow_functions)


def test_a_node_reads_another_nodes_result(team: Any, worker: Any) -> None:
    tree = {
        "goal": "Weather where we meet",
        "plan": {
            "type": "task",
            "task": "Forecast",
            "action": "forecast",
            "inputs": {
                "city": {"$from": "plan.input.result.place.address.city"},
                "days": {"$input": "days"},
            },
            "input": {
                "type": "task",
                "task": "Locate",
                "action": "locate",
                "inputs": {"place": {"address": {"city": "Bergen"}}},
            },
        },
    }
    plan = approve(submit_plan(team, None, delegation=tree, goal="", inputs={"days": 3}))

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    assert steps_of(plan)["plan"].result["params"] == {
        "function": "received",
        "units": "metric",
        "city": "Bergen",
        "days": 3,
    }
    assert bound.CALLS == ["plan.input", "plan"]
