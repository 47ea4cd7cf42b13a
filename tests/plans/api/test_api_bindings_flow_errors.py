"""The flow validator at submission: every problem with an action step's inputs and bindings,
each at its JSON path, in one 422."""

from __future__ import annotations

from typing import Any

import pytest

from plans.validation import Problem
from tests.conftest import ApiClient
from tests.plans.catalog.support import ACTIONS, body


@pytest.fixture(autouse=True)
def catalog(settings: Any) -> None:
    """The test catalog (tests/plans/catalog/support.py), as the catalog's and the bindings' tests
    have it."""
    settings.PLANGATE_ACTIONS = ACTIONS


def problems(api: ApiClient, *steps: dict[str, Any], **fields: Any) -> dict[str, str]:
    response = api.post("/plans", body(*steps, **fields))
    assert response.status_code == 422, response.json()
    return {Problem(tuple(p["loc"][1:]), "").path: p["msg"] for p in response.json()["detail"]}


def test_it_lists_every_binding_problem_with_its_path(api: ApiClient) -> None:
    found = problems(
        api,
        {"key": "find", "task": "Find", "action": "search", "inputs": {"city": "X", "zoom": 3}},
        {"key": "write", "task": "Write", "action": "summarise", "inputs": {"style": "epic"}},
        {"key": "ghost", "task": "Ghost", "action": "teleport", "inputs": {}},
        {
            "key": "read",
            "task": "Read",
            "action": "summarise",
            "inputs": {"text": {"$from": "nowhere.result"}},
        },
        {
            "key": "self",
            "task": "Self",
            "action": "summarise",
            "inputs": {"text": {"$from": "self.result.task"}},
        },
        {
            "key": "deep",
            "task": "Deep",
            "action": "summarise",
            "inputs": {"text": {"$from": "find.result.params.colour"}, "style": {"$from": 3}},
        },
        {
            "key": "odd",
            "task": "Odd",
            "action": "summarise",
            "inputs": {"text": {"$from": "find.result.rows"}},
        },
    )
    assert (
        "minLength" in found["steps[0].inputs.city"] or "too short" in found["steps[0].inputs.city"]
    )
    assert found["steps[0].inputs.zoom"].startswith("unknown input of 'search'")
    assert "'epic' is not one of ['short', 'long']" in found["steps[1].inputs.style"]
    assert found["steps[1].inputs.text"] == "required input of 'summarise' is not bound"
    assert found["steps[2].action"].startswith(
        "unknown action 'teleport'; known: search, summarise"
    )
    assert "'nowhere.result' names no step of this plan" in found["steps[3].inputs.text"]
    assert found["steps[4].inputs.text"] == "step 'self' cannot read its own result"
    # The output schema says params may hold more fields: this path may be there.
    assert "steps[5].inputs.text" not in found
    assert found["steps[5].inputs.style"].startswith("$from must be a string")
    assert "has no field 'rows'" in found["steps[6].inputs.text"]


def test_a_from_of_another_type_than_the_input_takes_is_refused(
    api: ApiClient, settings: Any
) -> None:
    settings.PLANGATE_ACTIONS = [
        *settings.PLANGATE_ACTIONS,
        {
            "name": "count",
            "executor": "echo",
            "input_schema": {"type": "object"},
            "output_schema": {"type": "object", "properties": {"words": {"type": "integer"}}},
        },
    ]
    found = problems(
        api,
        {"key": "c", "task": "Count", "action": "count", "inputs": {}},
        {
            "key": "w",
            "task": "Write",
            "action": "summarise",
            "inputs": {"text": {"$from": "c.result.words"}},
        },
        {
            "key": "f",
            "task": "Find",
            "action": "search",
            "inputs": {"city": "Oslo", "limit": {"$from": "c.result.words"}},
        },
    )
    assert found == {
        "steps[1].inputs.text": "'c.result.words' is integer in the output of 'count'; "
        "input 'text' of 'summarise' takes string"
    }


def test_a_literal_problem_inside_a_value_has_the_full_path(api: ApiClient, settings: Any) -> None:
    settings.PLANGATE_ACTIONS = [
        {
            "name": "mail",
            "executor": "echo",
            "input_schema": {
                "type": "object",
                "properties": {"to": {"type": "array", "items": {"type": "string"}}},
            },
        }
    ]
    found = problems(
        api, {"key": "m", "task": "Mail", "action": "mail", "inputs": {"to": ["a", 7]}}
    )
    assert found == {"steps[0].inputs.to[1]": "7 is not of type 'string'"}


def test_reading_a_downstream_step_is_a_cycle(api: ApiClient) -> None:
    found = problems(
        api,
        {
            "key": "write",
            "task": "Write",
            "action": "summarise",
            "inputs": {"text": {"$from": "find.result.task"}},
        },
        {
            "key": "find",
            "task": "Find",
            "action": "search",
            "inputs": {"city": "Oslo"},
            "depends_on": ["write"],
        },
    )
    assert "runs after this one" in found["steps[0].inputs.text"]


def test_an_action_step_may_not_name_another_executor(api: ApiClient) -> None:
    found = problems(
        api,
        {
            "key": "f",
            "task": "F",
            "action": "search",
            "executor": "python",
            "inputs": {"city": "Oslo"},
        },
    )
    assert found["steps[0].executor"].startswith("action 'search' runs executor 'echo'")


def test_inputs_without_an_action_are_refused(api: ApiClient) -> None:
    found = problems(api, {"key": "f", "task": "F", "inputs": {"city": "Oslo"}})
    assert found == {"steps[0].inputs": "inputs are for a step that names an action"}
