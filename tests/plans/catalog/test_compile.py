"""A step naming an action is compiled at submission: the action's executor, its params with
the inputs over them, and its defaults where the step sets none."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.conftest import ApiClient
from tests.plans.catalog.support import body


def submit(api: ApiClient, *steps: dict[str, Any]) -> Plan:
    response = api.post("/plans", body(*steps))
    assert response.status_code == 201, response.json()
    return Plan.objects.get(pk=response.json()["id"])


def test_it_compiles_an_action_step_with_the_actions_defaults(api: ApiClient) -> None:
    plan = submit(
        api, {"key": "find", "task": "Find", "action": "search", "inputs": {"city": "Oslo"}}
    )

    find = plan.steps.get(key="find")
    assert find.executor == "echo"
    assert find.params == {"engine": "maps", "limit": 5, "city": "Oslo"}
    assert find.timeout_seconds == 20
    assert find.max_attempts == 2
    assert find.guardrails == {"input": [{"max_bytes": 5000}]}
    assert float(find.estimated_cost) == 0.25
    assert find.action == "search"
    assert find.inputs == {"city": "Oslo"}
    content = plan.revisions.get(version=1).content["steps"][0]
    assert content["action"] == "search"
    assert content["inputs"] == {"city": "Oslo"}


def test_the_steps_own_values_override_the_actions(api: ApiClient) -> None:
    plan = submit(
        api,
        {
            "key": "find",
            "task": "Find",
            "action": "search",
            "inputs": {"city": "Oslo", "limit": 50},
            "params": {"engine": "atlas"},
            "timeout_seconds": 5,
            "max_attempts": 7,
            "estimated_cost": 1.5,
        },
    )

    find = plan.steps.get(key="find")
    assert find.params == {"engine": "atlas", "limit": 50, "city": "Oslo"}
    assert find.timeout_seconds == 5
    assert find.max_attempts == 7
    assert float(find.estimated_cost) == 1.5


def test_the_plan_answer_shows_the_action_and_inputs(api: ApiClient) -> None:
    response = api.post(
        "/plans",
        body({"key": "find", "task": "Find", "action": "search", "inputs": {"city": "Oslo"}}),
    )
    step = response.json()["steps"][0]
    assert step["action"] == "search"
    assert step["inputs"] == {"city": "Oslo"}
    assert step["executor"] == "echo"
    assert response.json()["missing_inputs"] == []
