"""A delegation tree carries the plan's goal: a problem in the tree is not also a missing goal."""

from __future__ import annotations

from tests.conftest import ApiClient


def test_an_invalid_tree_with_a_goal_is_not_told_its_goal_is_empty(api: ApiClient) -> None:
    body = {
        "user_id": "u",
        "topic_id": "t",
        "delegation": {"goal": "Find genes", "plan": {"type": "combine", "operator": "UNION"}},
    }
    response = api.post("/plans", body)
    assert response.status_code == 422
    locs = [p["loc"] for p in response.json()["detail"]]
    assert ["body", "goal"] not in locs
    assert ["body", "delegation", "plan", "left"] in locs


def test_a_tree_without_a_goal_is_told_where_the_goal_goes(api: ApiClient) -> None:
    body = {"user_id": "u", "topic_id": "t", "delegation": {"plan": {"type": "task", "task": "x"}}}
    response = api.post("/plans", body)
    assert response.status_code == 422
    assert [p["loc"] for p in response.json()["detail"]] == [["body", "delegation", "goal"]]
