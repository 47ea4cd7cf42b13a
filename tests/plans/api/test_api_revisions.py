"""The revisions API: list and read versions, replace the content, and the diff between two."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.conftest import ApiClient

BODY = {
    "goal": "g",
    "user_id": "u",
    "topic_id": "t",
    "steps": [
        {"key": "fetch", "task": "Fetch", "params": {"source": {"name": "erp", "limit": 10}}},
        {"key": "draft", "task": "Draft", "depends_on": ["fetch"]},
    ],
}


def submit(api: ApiClient) -> str:
    response = api.post("/plans", BODY)
    assert response.status_code == 201
    return str(response.json()["id"])


def revise(api: ApiClient, plan_id: str, **fields: Any) -> Any:
    headers = fields.pop("headers", None)
    body = {"base_version": 1, "steps": BODY["steps"], **fields}
    return api.post(f"/plans/{plan_id}/revisions", body, headers=headers)


def test_it_replaces_the_content_as_the_next_version(api: ApiClient) -> None:
    plan_id = submit(api)
    steps = [
        {"key": "fetch", "task": "Fetch", "params": {"source": {"name": "erp", "limit": 50}}},
        {"key": "send", "task": "Send", "depends_on": ["fetch"]},
    ]
    response = revise(api, plan_id, steps=steps, title="Bigger", comment="more rows")
    assert response.status_code == 201
    revision = response.json()
    assert revision["version"] == 2
    assert revision["comment"] == "more rows"
    assert revision["actor"].startswith("token:")
    assert len(revision["content_hash"]) == 64
    plan = api.get(f"/plans/{plan_id}").json()
    assert plan["version"] == 2
    assert plan["title"] == "Bigger"
    assert [s["key"] for s in plan["steps"]] == ["fetch", "send"]
    events = api.get(f"/plans/{plan_id}/events").json()
    assert events[-1]["kind"] == "plan.revised"
    assert events[-1]["data"]["comment"] == "more rows"


def test_it_lists_revisions_newest_first_and_reads_one(api: ApiClient) -> None:
    plan_id = submit(api)
    revise(api, plan_id, comment="second")
    listed = api.get(f"/plans/{plan_id}/revisions").json()
    assert [(r["version"], r["comment"]) for r in listed] == [(2, "second"), (1, "submitted")]
    one = api.get(f"/plans/{plan_id}/revisions/1").json()
    assert one["content"]["steps"][0]["params"] == {"source": {"name": "erp", "limit": 10}}
    assert api.get(f"/plans/{plan_id}/revisions/7").status_code == 404


def test_it_refuses_a_stale_base_version_naming_the_current_one(api: ApiClient) -> None:
    plan_id = submit(api)
    assert revise(api, plan_id).status_code == 201
    response = revise(api, plan_id)
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert response.json()["status"] == "draft"


def test_it_answers_422_with_every_problem_and_changes_nothing(api: ApiClient) -> None:
    plan_id = submit(api)
    steps = [
        {"key": "a", "task": "", "depends_on": ["ghost"]},
        {"key": "b", "task": "x", "max_attempts": 0},
    ]
    response = revise(api, plan_id, steps=steps)
    assert response.status_code == 422
    locs = [p["loc"] for p in response.json()["detail"]]
    assert ["body", "steps", 1, "max_attempts"] in locs
    assert ["body", "steps", 0, "task"] in locs
    assert ["body", "steps", 0, "depends_on", 0] in locs
    assert Plan.objects.get(pk=plan_id).version == 1


def test_it_refuses_a_plan_past_review(api: ApiClient) -> None:
    plan_id = submit(api)
    api.post(f"/plans/{plan_id}/approve", {"version": 1})
    response = revise(api, plan_id)
    assert response.status_code == 409
    assert response.json()["status"] == "approved"


def test_an_idempotency_key_replays_the_revision(api: ApiClient) -> None:
    plan_id = submit(api)
    first = revise(api, plan_id, headers={"Idempotency-Key": "rev-1"})
    again = revise(api, plan_id, headers={"Idempotency-Key": "rev-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Plan.objects.get(pk=plan_id).version == 2
    other = revise(api, plan_id, comment="x", headers={"Idempotency-Key": "rev-1"})
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_the_diff_names_the_paths_that_changed_inside_params(api: ApiClient) -> None:
    plan_id = submit(api)
    steps = [
        {"key": "fetch", "task": "Fetch", "params": {"source": {"name": "erp", "limit": 50}}},
        {"key": "send", "task": "Send", "depends_on": ["fetch"]},
    ]
    revise(api, plan_id, steps=steps, title="Bigger")
    response = api.get(f"/plans/{plan_id}/diff", **{"from": 1, "to": 2})
    assert response.status_code == 200
    diff = response.json()
    assert diff["title"] == {"old": "", "new": "Bigger"}
    assert [s["key"] for s in diff["steps"]["added"]] == ["send"]
    assert [s["key"] for s in diff["steps"]["removed"]] == ["draft"]
    [changed] = diff["steps"]["changed"]
    assert changed["key"] == "fetch"
    [params] = changed["fields"]
    assert params["field"] == "params"
    assert params["changes"] == [
        {"path": ["source", "limit"], "old": 10, "new": 50, "kind": "changed"}
    ]


def test_the_diff_answers_404_for_unknown_versions_and_422_for_bad_ones(api: ApiClient) -> None:
    plan_id = submit(api)
    assert api.get(f"/plans/{plan_id}/diff", **{"from": 1, "to": 9}).status_code == 404
    bad = api.get(f"/plans/{plan_id}/diff", **{"from": "x", "to": 1})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "from"]
    assert api.get(f"/plans/{plan_id}/diff", **{"from": 0, "to": 1}).status_code == 422


def test_another_teams_plan_is_404(api: ApiClient, other_api: ApiClient) -> None:
    plan_id = submit(api)
    assert other_api.get(f"/plans/{plan_id}/revisions").status_code == 404
    assert other_api.post(f"/plans/{plan_id}/revisions", {"base_version": 1}).status_code == 404


def test_approval_shows_the_approved_content_hash(api: ApiClient) -> None:
    plan_id = submit(api)
    [revision] = api.get(f"/plans/{plan_id}/revisions").json()
    approved = api.post(f"/plans/{plan_id}/approve", {"version": 1}).json()
    assert approved["approval"]["content_hash"] == revision["content_hash"]


def test_the_openapi_document_declares_every_answer(api: ApiClient) -> None:
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in [
        ("/api/v1/plans/{plan_id}/revisions", "get"),
        ("/api/v1/plans/{plan_id}/revisions", "post"),
        ("/api/v1/plans/{plan_id}/revisions/{version}", "get"),
        ("/api/v1/plans/{plan_id}/diff", "get"),
    ]:
        answers = paths[path][method]["responses"]
        for code in ["401", "403", "404", "409", "413", "422"]:
            assert "application/json" in answers[code]["content"], (path, method, code)
