"""POST /plans/{id}/revisions takes the plan inputs beside the steps: checked as at submission,
they replace the plan's (omitted: the plan's are kept), and the diff lists each input that
changed."""

from __future__ import annotations

from typing import Any

from django.test import Client

from plans.models import Plan
from tests.conftest import ApiClient
from tests.plans.catalog.support import body

FIND = {"key": "find", "task": "Find", "action": "search", "inputs": {"city": {"$input": "city"}}}
WRITE = {
    "key": "write",
    "task": "Write",
    "action": "summarise",
    "inputs": {"text": {"$from": "find.result.task"}, "style": {"$input": "style"}},
}


def submit(api: ApiClient, *steps: dict[str, Any], **fields: Any) -> str:
    response = api.post("/plans", body(*steps, **fields))
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def revise(api: ApiClient, plan_id: str, **fields: Any) -> Any:
    return api.post(f"/plans/{plan_id}/revisions", {"base_version": 1, **fields})


def test_a_revision_changes_steps_and_inputs_at_once(api: ApiClient) -> None:
    plan_id = submit(api, FIND)
    assert api.get(f"/plans/{plan_id}").json()["missing_inputs"][0]["name"] == "city"

    revised = revise(api, plan_id, steps=[FIND, WRITE], inputs={"city": "Bergen", "style": "short"})

    assert revised.status_code == 201, revised.json()
    assert revised.json()["content"]["inputs"] == {"city": "Bergen", "style": "short"}
    plan = api.get(f"/plans/{plan_id}").json()
    assert plan["version"] == 2
    assert plan["inputs"] == {"city": "Bergen", "style": "short"}
    assert plan["missing_inputs"] == []
    steps = {s.key: s for s in Plan.objects.get(pk=plan_id).steps.all()}
    assert steps["find"].params["city"] == "Bergen"
    assert steps["write"].params["style"] == "short"
    assert api.post(f"/plans/{plan_id}/approve", {"version": 2}).status_code == 200


def test_inputs_given_replace_the_plans_and_omitted_keep_them(api: ApiClient) -> None:
    plan_id = submit(api, FIND, WRITE, inputs={"city": "Oslo", "style": "long"})

    kept = revise(api, plan_id, steps=[FIND, WRITE], comment="same inputs")
    assert kept.status_code == 201, kept.json()
    assert kept.json()["content"]["inputs"] == {"city": "Oslo", "style": "long"}

    replaced = api.post(
        f"/plans/{plan_id}/revisions",
        {"base_version": 2, "steps": [FIND, WRITE], "inputs": {"city": "Bergen"}},
    )
    assert replaced.status_code == 201, replaced.json()
    plan = api.get(f"/plans/{plan_id}").json()
    assert plan["inputs"] == {"city": "Bergen"}
    assert [m["name"] for m in plan["missing_inputs"]] == ["style"]


def test_bad_inputs_are_422_with_every_problem_and_nothing_changes(api: ApiClient) -> None:
    plan_id = submit(api, FIND, WRITE, inputs={"city": "Oslo", "style": "long"})

    refused = revise(
        api, plan_id, steps=[FIND, WRITE], inputs={"city": "X", "style": "tiny", "pace": 3}
    )

    assert refused.status_code == 422
    problems = {tuple(p["loc"]): p["msg"] for p in refused.json()["detail"]}
    assert problems == {
        ("body", "inputs", "city"): "'X' is too short",
        ("body", "inputs", "style"): "'tiny' is not one of ['short', 'long']",
        ("body", "inputs", "pace"): "no step uses this input; inputs: city, style",
    }
    plan = api.get(f"/plans/{plan_id}").json()
    assert (plan["version"], plan["inputs"]) == (1, {"city": "Oslo", "style": "long"})


def test_the_diff_lists_each_input_that_changed(api: ApiClient) -> None:
    plan_id = submit(api, FIND, WRITE, inputs={"city": "Oslo", "style": "long"})
    assert revise(api, plan_id, steps=[FIND, WRITE], inputs={"city": "Bergen"}).status_code == 201

    diff = api.get(f"/plans/{plan_id}/diff?from=1&to=2").json()

    assert diff["inputs"] == [
        {"path": ["city"], "old": "Oslo", "new": "Bergen", "kind": "changed"},
        {"path": ["style"], "old": "long", "new": None, "kind": "removed"},
    ]
    assert api.get(f"/plans/{plan_id}/diff?from=2&to=2").json()["inputs"] == []


def test_the_diff_page_shows_the_inputs_that_changed(
    api: ApiClient, client: Client, reviewer: Any
) -> None:
    plan_id = submit(api, FIND, inputs={"city": "Oslo"})
    assert revise(api, plan_id, steps=[FIND], inputs={"city": "Bergen"}).status_code == 201
    client.force_login(reviewer)

    page = client.get(f"/plans/{plan_id}/diff?from=1&to=2").content.decode()

    assert "plan inputs" in page
    assert '<del class="diff-old"><code>&quot;Oslo&quot;</code></del>' in page
    assert '<ins class="diff-new"><code>&quot;Bergen&quot;</code></ins>' in page
