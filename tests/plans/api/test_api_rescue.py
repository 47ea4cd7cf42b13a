"""Rescuing a plan that needs attention through the API: retry, skip, fail, and their refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.plans.rescue.support import claim_all, needing_attention, run_to_end, succeed

pytestmark = pytest.mark.django_db


def test_it_retries_the_step_with_fixed_params(api: ApiClient, team: Any) -> None:
    plan = needing_attention(team)
    fixed = {"function": "list_items", "items": ["fixed"]}

    response = api.post(f"/plans/{plan.pk}/steps/fetch/retry", {"version": 2, "params": fixed})

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "executing"
    fetch = next(s for s in data["steps"] if s["key"] == "fetch")
    assert (fetch["status"], fetch["params"], fetch["on_failure"]) == ("pending", fixed, "ask")
    for claimed in claim_all():
        succeed(claimed)
    run_to_end(plan)
    assert plan.status == "completed"


def test_it_answers_409_for_an_older_version(api: ApiClient, team: Any) -> None:
    plan = needing_attention(team)

    response = api.post(f"/plans/{plan.pk}/steps/fetch/retry", {"version": 1})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert response.json()["status"] == "needs_attention"


def test_it_answers_409_once_another_reviewer_decided(api: ApiClient, team: Any) -> None:
    plan = needing_attention(team)
    assert api.post(f"/plans/{plan.pk}/steps/fetch/retry", {"version": 2}).status_code == 200

    response = api.post(f"/plans/{plan.pk}/fail", {"version": 2, "reason": "too late"})

    assert response.status_code == 409
    assert response.json()["status"] == "executing"


def test_it_answers_422_with_the_path_of_bad_params(api: ApiClient, team: Any) -> None:
    plan = needing_attention(team)

    response = api.post(
        f"/plans/{plan.pk}/steps/fetch/retry", {"version": 2, "params": {"function": "nope"}}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "params"]


def test_it_answers_404_for_another_teams_plan(other_api: ApiClient, team: Any) -> None:
    plan = needing_attention(team)

    assert other_api.post(f"/plans/{plan.pk}/steps/fetch/retry", {"version": 2}).status_code == 404
    assert (
        other_api.post(f"/plans/{plan.pk}/fail", {"version": 2, "reason": "x"}).status_code == 404
    )


def test_it_skips_the_failed_step(api: ApiClient, team: Any) -> None:
    plan = needing_attention(team)

    response = api.post(f"/plans/{plan.pk}/steps/fetch/skip", {"reason": "done by hand"})

    assert response.status_code == 200
    assert response.json()["status"] == "executing"


def test_it_fails_the_plan(api: ApiClient, team: Any) -> None:
    plan = needing_attention(team)

    response = api.post(f"/plans/{plan.pk}/fail", {"version": 2, "reason": "source gone"})

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "failed"
    assert {s["key"]: s["status"] for s in data["steps"]} == {
        "fetch": "failed",
        "report": "failed",
        "tidy": "failed",
    }
    events = api.get(f"/plans/{plan.pk}/events").json()
    assert events[-1]["kind"] == "plan.failed"
    assert events[-1]["data"]["reason"] == "source gone"


def test_it_refuses_an_unknown_on_failure(api: ApiClient) -> None:
    response = api.post(
        "/plans",
        {
            "goal": "g",
            "user_id": "u",
            "topic_id": "t",
            "on_failure": "retry",
            "steps": [{"key": "a", "task": "t", "on_failure": "shrug"}],
        },
    )

    assert response.status_code == 422
    locs = [p["loc"] for p in response.json()["detail"]]
    assert ["body", "on_failure"] in locs
    assert ["body", "steps", 0, "on_failure"] in locs


def test_it_takes_on_failure_on_delegation_task_nodes(api: ApiClient) -> None:
    tree = {"goal": "g", "plan": {"type": "task", "task": "t", "on_failure": "ask"}}
    ok = api.post("/plans", {"user_id": "u", "topic_id": "t", "delegation": tree})
    assert ok.status_code == 201
    assert ok.json()["steps"][0]["on_failure"] == "ask"

    tree["plan"]["on_failure"] = "maybe"
    bad = api.post("/plans", {"user_id": "u", "topic_id": "t", "delegation": tree})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "delegation", "plan", "on_failure"]
