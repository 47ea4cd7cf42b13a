"""One 422 lists every problem with a submitted plan: the body's and the plan's own at once."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient


def problems(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422
    return [(".".join(map(str, p["loc"][1:])), p["msg"]) for p in response.json()["detail"]]


def test_it_lists_every_missing_part_of_an_empty_plan(api: ApiClient) -> None:
    assert problems(api.post("/plans", {})) == [
        ("goal", "goal must not be empty"),
        ("user_id", "Field required"),
        ("topic_id", "Field required"),
        ("steps", "give either 'steps' or 'delegation', not both or neither"),
    ]


def test_an_unknown_field_does_not_hide_the_plans_own_problems(api: ApiClient) -> None:
    body = {
        "goal": "g",
        "user_id": "u",
        "topic_id": "t",
        "colour": "blue",
        "steps": [{"key": "a", "task": ""}, {"key": "b", "task": "x", "depends_on": ["zz"]}],
    }
    assert problems(api.post("/plans", body)) == [
        ("steps.0.task", "task must not be empty"),
        ("steps.1.depends_on.0", "depends on 'zz', which is not a step of this plan"),
        ("colour", "Extra inputs are not permitted"),
    ]


def test_a_problem_is_listed_once_when_both_checks_see_it(api: ApiClient) -> None:
    body = {
        "user_id": "u",
        "topic_id": "t",
        "goal": "g",
        "steps": [{"task": "x"}, {"key": "b", "task": "y", "executor": "nope", "extra": 1}],
    }
    listed = problems(api.post("/plans", body))
    assert listed[0] == ("steps.0.key", "Field required")
    assert ("steps.1.extra", "Extra inputs are not permitted") in listed
    executor = [msg for loc, msg in listed if loc == "steps.1.executor"]
    assert executor[0].startswith("unknown executor 'nope'")
    assert len(listed) == 3


def test_a_bad_delegation_tree_is_listed_with_the_bodys_errors(api: ApiClient) -> None:
    body = {"topic_id": "t", "delegation": {"goal": "G", "plan": {"type": "task"}}}
    assert problems(api.post("/plans", body)) == [
        ("user_id", "Field required"),
        ("delegation.plan.task", "a task node needs a non-empty 'task' string"),
    ]
