"""Submitting plans: what is created, and every kind of bad input as a 422 that writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan, PlanEvent, PlanStep
from tests.conftest import ApiClient


def body(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "goal": "Write the quarterly report",
        "title": "Q3 report",
        "user_id": "user-7",
        "topic_id": "topic-3",
        "tags": ["finance"],
        "artifacts": [
            {
                "title": "Research notes",
                "summary": "# Notes\n\n*Revenue* grew.",
                "assumptions": ["Figures are final"],
                "parameters": {"quarter": "Q3"},
            }
        ],
        "steps": [
            {"key": "fetch", "task": "Fetch figures", "params": {"source": "erp"}},
            {"key": "draft", "task": "Draft text", "depends_on": ["fetch"], "hint": "be brief"},
            {
                "key": "review",
                "task": "Check",
                "depends_on": ["draft", "fetch"],
                "executor": "echo",
            },
        ],
    }
    base.update(overrides)
    return base


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {
        ".".join(str(p) for p in item["loc"]): item["msg"] for item in response.json()["detail"]
    }


def test_it_creates_a_draft_with_steps_artifacts_and_an_event(api: ApiClient) -> None:
    response = api.post("/plans", body())
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["version"], data["title"], data["tags"]) == (
        "draft",
        1,
        "Q3 report",
        ["finance"],
    )
    assert [s["key"] for s in data["steps"]] == ["fetch", "draft", "review"]
    assert sorted(data["steps"][2]["depends_on"]) == ["draft", "fetch"]
    assert all(s["status"] == "pending" and s["executor"] == "echo" for s in data["steps"])
    assert data["artifacts"][0]["assumptions"] == ["Figures are final"]
    assert PlanEvent.objects.get(plan_id=data["id"]).kind == "plan.created"
    fetched = api.get(f"/plans/{data['id']}").json()
    assert fetched == data


def test_it_creates_a_plan_from_a_delegation_tree(api: ApiClient) -> None:
    tree = {
        "goal": "Find overlapping genes",
        "plan": {
            "type": "combine",
            "operator": "COLOCATE",
            "context": {"distance": 10},
            "left": {"type": "task", "task": "find genes A"},
            "right": {
                "type": "task",
                "task": "find genes B",
                "input": {"type": "task", "task": "load"},
            },
        },
    }
    response = api.post("/plans", {"user_id": "u", "topic_id": "t", "delegation": tree})
    assert response.status_code == 201
    data = response.json()
    assert data["goal"] == "Find overlapping genes"
    assert data["delegation"] == tree
    steps = {s["key"]: s for s in data["steps"]}
    assert list(steps) == ["plan.left", "plan.right.input", "plan.right", "plan"]
    assert steps["plan"]["executor"] == "combine"
    assert steps["plan"]["context"] == {"distance": 10}
    assert set(steps["plan"]["depends_on"]) == {"plan.left", "plan.right"}
    assert steps["plan.right"]["depends_on"] == ["plan.right.input"]


@pytest.mark.parametrize(
    ("overrides", "path", "message"),
    [
        ({"goal": "  "}, "body.goal", "goal must not be empty"),
        ({"user_id": 5}, "body.user_id", "valid string"),
        ({"user_id": ""}, "body.user_id", "at least 1 character"),
        ({"tags": "finance"}, "body.tags", "valid list"),
        (
            {"steps": [{"key": "a", "task": "x", "params": []}]},
            "body.steps.0.params",
            "valid dictionary",
        ),
        (
            {"steps": [{"key": "a", "task": "x", "colour": 1}]},
            "body.steps.0.colour",
            "Extra inputs",
        ),
        ({"steps": []}, "body.steps", "at least one step"),
        (
            {"steps": [{"key": "a", "task": "x", "executor": "nope"}]},
            "body.steps.0.executor",
            "unknown executor 'nope'",
        ),
        (
            {
                "steps": [
                    {
                        "key": "a",
                        "task": "x",
                        "executor": "python",
                        "params": {"function": "os.system"},
                    }
                ]
            },
            "body.steps.0.params",
            "os.system",
        ),
        (
            {"steps": [{"key": "a", "task": "x"}, {"key": "a", "task": "y"}]},
            "body.steps.1.key",
            "duplicate key 'a' (also at steps[0])",
        ),
        (
            {"steps": [{"key": "a", "task": "x", "depends_on": ["ghost"]}]},
            "body.steps.0.depends_on.0",
            "depends on 'ghost', which is not a step of this plan",
        ),
        (
            {"steps": [{"key": "a", "task": "x", "depends_on": ["a"]}]},
            "body.steps.0.depends_on.0",
            "cannot depend on itself",
        ),
        (
            {
                "steps": [
                    {"key": "a", "task": "x", "depends_on": ["c"]},
                    {"key": "b", "task": "x", "depends_on": ["a"]},
                    {"key": "c", "task": "x", "depends_on": ["b"]},
                ]
            },
            "body.steps.0.depends_on",
            "dependency cycle: a -> c -> b -> a",
        ),
        ({"steps": [{"key": " ", "task": "x"}]}, "body.steps.0.key", "key must not be empty"),
        ({"steps": [{"key": "a", "task": ""}]}, "body.steps.0.task", "task must not be empty"),
        (
            {"delegation": {"goal": "g", "plan": {"type": "task", "task": "x"}}},
            "body.steps",
            "either 'steps' or 'delegation'",
        ),
        (
            {
                "steps": None,
                "delegation": {
                    "goal": "g",
                    "plan": {
                        "type": "combine",
                        "operator": "UNION",
                        "left": {"type": "task", "task": "a"},
                    },
                },
            },
            "body.delegation.plan.right",
            "combine node needs both left and right",
        ),
    ],
)
def test_it_refuses_bad_input_naming_the_path(
    api: ApiClient, overrides: dict[str, Any], path: str, message: str
) -> None:
    payload = body(**overrides)
    if overrides.get("steps", "") is None:
        del payload["steps"]
    found = problems(api.post("/plans", payload))
    assert path in found, found
    assert message in found[path]
    assert Plan.objects.count() == 0
    assert PlanStep.objects.count() == 0


def test_it_lists_every_problem_in_one_answer(api: ApiClient) -> None:
    payload = body(
        goal="",
        steps=[
            {"key": "a", "task": "x", "executor": "nope"},
            {"key": "a", "task": "y", "depends_on": ["zz"]},
        ],
    )
    assert set(problems(api.post("/plans", payload))) == {
        "body.goal",
        "body.steps.0.executor",
        "body.steps.1.key",
        "body.steps.1.depends_on.0",
    }


def test_it_refuses_malformed_json(api: ApiClient) -> None:
    assert problems(api.post("/plans", "{not json"))["body"] == "body is not valid JSON"


def test_it_refuses_more_steps_than_the_limit(api: ApiClient, settings: Any) -> None:
    settings.PLANGATE_MAX_STEPS = 3
    steps = [{"key": f"s{i}", "task": "x"} for i in range(4)]
    found = problems(api.post("/plans", body(steps=steps)))
    assert "at most 3 steps; this one has 4" in found["body.steps"]


def test_it_filters_and_pages_the_list_newest_first(api: ApiClient) -> None:
    ids = [api.post("/plans", body(user_id=f"user-{i % 2}")).json()["id"] for i in range(5)]
    everything = api.get("/plans").json()
    assert [p["id"] for p in everything["items"]] == ids[::-1]
    assert everything["count"] == 5
    mine = api.get("/plans", user_id="user-1").json()
    assert [p["id"] for p in mine["items"]] == [ids[3], ids[1]]
    page = api.get("/plans", limit=2, offset=2).json()
    assert [p["id"] for p in page["items"]] == [ids[2], ids[1]]
    assert api.get("/plans", status="approved").json()["count"] == 0
    assert "'draft'" in problems(api.get("/plans", status="bogus"))["query.status"]


def test_it_refuses_nul_characters_naming_where(api: ApiClient) -> None:
    # JSON allows "\u0000"; PostgreSQL text cannot hold it, so it is bad input, not a 500.
    payload = body(steps=[{"key": "a", "task": "x", "params": {"note": "a\u0000b"}}])
    found = problems(api.post("/plans", payload))
    assert "steps[0].params.note contains a NUL character" in found["body"]
    assert Plan.objects.count() == 0


def test_it_refuses_an_offset_past_any_page(api: ApiClient) -> None:
    found = problems(api.get("/plans", offset=10**20))
    assert "query.offset" in found
