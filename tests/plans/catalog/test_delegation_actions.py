"""A delegation tree's task nodes may name an action with inputs, as steps do: compiled the same
way, `$from` reading other nodes' results by their keys, `$input` plan inputs listed in
`missing_inputs`, and every problem a 422 at the node's path."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.conftest import ApiClient


def task(text: str, **more: Any) -> dict[str, Any]:
    return {"type": "task", "task": text, **more}


def tree(plan: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"user_id": "u", "topic_id": "t", "delegation": {"goal": "Trip", "plan": plan}, **fields}


FIND = task("Find places", action="search", inputs={"city": {"$input": "city"}})
WRITE = task(
    "Write it up",
    action="summarise",
    inputs={"text": {"$from": "plan.left.result.task"}, "style": "short"},
)


def combined(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {"type": "combine", "operator": "UNION", "left": left, "right": right}


def test_action_nodes_are_compiled_as_action_steps(api: ApiClient) -> None:
    response = api.post("/plans", tree(combined(FIND, WRITE), inputs={"city": "Oslo"}))

    assert response.status_code == 201, response.json()
    answer = response.json()
    by_key = {s["key"]: s for s in answer["steps"]}
    assert by_key["plan.left"]["action"] == "search"
    assert by_key["plan.left"]["inputs"] == {"city": {"$input": "city"}}
    assert answer["missing_inputs"] == []
    steps = {s.key: s for s in Plan.objects.get(pk=answer["id"]).steps.all()}
    find, write = steps["plan.left"], steps["plan.right"]
    assert find.executor == "echo"
    assert find.params == {"engine": "maps", "limit": 5, "city": "Oslo"}
    assert (find.timeout_seconds, find.max_attempts) == (20, 2)
    assert write.params == {"text": {"$from": "plan.left.result.task"}, "style": "short"}
    # Reading the sibling's result makes the sibling a dependency.
    assert [d.key for d in write.depends_on.all()] == ["plan.left"]
    assert sorted(d.key for d in steps["plan"].depends_on.all()) == ["plan.left", "plan.right"]


def test_missing_plan_inputs_are_listed_by_node_key(api: ApiClient) -> None:
    response = api.post("/plans", tree(task("Report", input=FIND)))

    assert response.status_code == 201, response.json()
    assert response.json()["missing_inputs"] == [
        {
            "name": "city",
            "value_schema": {"type": "string", "minLength": 2},
            "steps": ["plan.input"],
        }
    ]
    refused = api.post(f"/plans/{response.json()['id']}/approve", {"version": 1})
    assert refused.status_code == 409
    assert "needs inputs before it can be approved: city" in refused.json()["detail"]


def test_every_problem_is_a_422_at_the_nodes_path(api: ApiClient) -> None:
    plan = combined(
        task("Find", action="search", inputs={"city": "Oslo", "limit": "many"}),
        combined(
            task("Ask", action="nowhere"),
            # Its parent runs after it: reading the parent's result would be a cycle.
            task("Loop", action="summarise", inputs={"text": {"$from": "plan.right.result"}}),
        ),
    )
    plan["right"]["left"]["inputs"] = {"x": 1}

    response = api.post("/plans", tree(plan, inputs={"pace": 3}))

    assert response.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in response.json()["detail"]}
    at = ("body", "delegation", "plan")
    assert problems == {
        (*at, "left", "inputs", "limit"): "'many' is not of type 'integer'",
        (*at, "right", "left", "action"): "unknown action 'nowhere'; known: search, summarise",
        (*at, "right", "right", "inputs", "text"): (
            "step 'plan.right' runs after this one (it depends on 'plan.right.right'): "
            "reading its result would be a dependency cycle"
        ),
        ("body", "inputs", "pace"): "no step uses this input; inputs: (none)",
    }


def test_node_fields_of_the_wrong_shape_are_refused(api: ApiClient) -> None:
    plan = combined(
        task("Find", action=7, inputs={"city": "Oslo"}),
        task("Write", inputs=["text"]),
    )
    response = api.post("/plans", tree(plan))

    assert response.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in response.json()["detail"]}
    at = ("body", "delegation", "plan")
    assert problems == {
        (*at, "left", "action"): "action is the name of a catalog action",
        (*at, "right", "inputs"): "inputs is an object, not a list",
    }


def test_inputs_without_an_action_and_another_executor_are_refused(api: ApiClient) -> None:
    plan = combined(
        task("Find", action="search", executor="python", inputs={"city": "Oslo"}),
        task("Write", inputs={"text": "hi"}),
    )
    response = api.post("/plans", tree(plan))

    assert response.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in response.json()["detail"]}
    at = ("body", "delegation", "plan")
    assert problems == {
        (*at, "left", "executor"): (
            "action 'search' runs executor 'echo'; leave executor out of a step that names "
            "an action"
        ),
        (*at, "right", "inputs"): "inputs are for a step that names an action",
    }


def test_a_revision_keeps_the_action_nodes(api: ApiClient) -> None:
    plan_id = api.post("/plans", tree(task("Report", input=FIND))).json()["id"]
    revised = api.post(
        f"/plans/{plan_id}/revisions",
        {
            "base_version": 1,
            "delegation": {"goal": "Trip", "plan": combined(FIND, WRITE)},
            "inputs": {"city": "Bergen"},
        },
    )

    assert revised.status_code == 201, revised.json()
    [find] = [s for s in revised.json()["content"]["steps"] if s["key"] == "plan.left"]
    assert (find["action"], find["params"]["city"]) == ("search", "Bergen")
    assert api.get(f"/plans/{plan_id}").json()["missing_inputs"] == []
