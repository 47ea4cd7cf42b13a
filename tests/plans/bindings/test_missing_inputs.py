"""Plan inputs: a plan whose `$input`s are not all supplied is a draft listing what it misses,
cannot be approved until they are supplied through POST /plans/{id}/inputs, which checks them
against their schemas and makes a new revision."""

from __future__ import annotations

from typing import Any

from plans.validation import Problem
from tests.conftest import ApiClient
from tests.plans.catalog.support import body

STEPS = [
    {"key": "find", "task": "Find", "action": "search", "inputs": {"city": {"$input": "city"}}},
    {
        "key": "write",
        "task": "Write",
        "action": "summarise",
        "inputs": {"text": {"$from": "find.result.task"}, "style": {"$input": "style"}},
    },
]


def submit(api: ApiClient, **fields: Any) -> dict[str, Any]:
    response = api.post("/plans", body(*STEPS, **fields))
    assert response.status_code == 201, response.json()
    return dict(response.json())


def paths(response: Any) -> dict[str, str]:
    return {Problem(tuple(p["loc"][1:]), "").path: p["msg"] for p in response.json()["detail"]}


def test_missing_inputs_are_listed_with_their_schemas(api: ApiClient) -> None:
    plan = submit(api)

    assert plan["status"] == "draft"
    assert plan["missing_inputs"] == [
        {"name": "city", "value_schema": {"type": "string", "minLength": 2}, "steps": ["find"]},
        {
            "name": "style",
            "value_schema": {"type": "string", "enum": ["short", "long"]},
            "steps": ["write"],
        },
    ]


def test_approval_is_refused_until_they_are_supplied(api: ApiClient) -> None:
    plan = submit(api, inputs={"style": "short"})
    assert [m["name"] for m in plan["missing_inputs"]] == ["city"]

    refused = api.post(f"/plans/{plan['id']}/approve", {"version": 1})
    assert refused.status_code == 409
    assert "needs inputs before it can be approved: city" in refused.json()["detail"]
    assert refused.json()["status"] == "draft"
    assert refused.json()["current_version"] == 1


def test_supplying_inputs_checks_them_and_makes_a_revision(api: ApiClient) -> None:
    plan = submit(api)
    url = f"/plans/{plan['id']}/inputs"

    bad = api.post(url, {"version": 1, "values": {"city": "X", "style": "epic", "zip": 1}})
    assert bad.status_code == 422
    found = paths(bad)
    assert "is too short" in found["values.city"]
    assert "'epic' is not one of ['short', 'long']" in found["values.style"]
    assert found["values.zip"].startswith("no step uses this input")

    stale = api.post(url, {"version": 7, "values": {"city": "Oslo"}})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1

    done = api.post(url, {"version": 1, "values": {"city": "Oslo", "style": "long"}})
    assert done.status_code == 200, done.json()
    assert done.json()["version"] == 2
    assert done.json()["missing_inputs"] == []
    assert done.json()["inputs"] == {"city": "Oslo", "style": "long"}
    find = next(s for s in done.json()["steps"] if s["key"] == "find")
    assert find["params"]["city"] == "Oslo"
    assert find["inputs"] == {"city": {"$input": "city"}}
    revision = api.get(f"/plans/{plan['id']}/revisions/2").json()
    assert revision["content"]["inputs"] == {"city": "Oslo", "style": "long"}
    assert revision["comment"] == "inputs supplied: city, style"

    approved = api.post(f"/plans/{plan['id']}/approve", {"version": 2})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
