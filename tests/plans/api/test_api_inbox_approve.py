"""POST /api/v1/inbox/approve: each item approved as of its own version; stale ones refused
one by one, the rest go through."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.plans.inbox.helpers import draft, revise


def test_it_approves_the_current_items_and_refuses_the_stale_one(
    api: Any, team: Any, other_team: Any
) -> None:
    first = draft(team, "First")
    stale = draft(team, "Stale")
    second = draft(team, "Second")
    theirs = draft(other_team, "Theirs")
    revise(stale)  # version 2 now; the caller saw 1

    response = api.post(
        "/inbox/approve",
        {
            "items": [
                {"plan_id": str(first.pk), "version": 1},
                {"plan_id": str(stale.pk), "version": 1},
                {"plan_id": str(second.pk), "version": 1},
                {"plan_id": str(theirs.pk), "version": 1},
            ]
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["approved"], body["refused"]) == (2, 2)
    results = body["results"]
    assert [r["outcome"] for r in results] == ["approved", "refused", "approved", "refused"]
    assert results[1] == {
        "plan_id": str(stale.pk),
        "step_key": None,
        "version": 1,
        "outcome": "refused",
        "reason": "stale",
        "detail": "changed since you opened the inbox (version 1 → 2)",
        "status": "draft",
        "current_version": 2,
    }
    assert results[3]["reason"] == "not_found"
    assert results[3]["current_version"] is None
    statuses = dict(Plan.objects.values_list("title", "status"))
    assert statuses == {
        "First": "approved",
        "Stale": "draft",
        "Second": "approved",
        "Theirs": "draft",
    }


def test_it_refuses_a_plan_that_is_no_longer_a_draft(api: Any, team: Any) -> None:
    plan = draft(team, "Cancelled meanwhile")
    Plan.objects.filter(pk=plan.pk).update(status="cancelled")

    (result,) = api.post(
        "/inbox/approve", {"items": [{"plan_id": str(plan.pk), "version": 1}]}
    ).json()["results"]

    assert (result["outcome"], result["reason"], result["status"]) == (
        "refused",
        "state",
        "cancelled",
    )


def test_it_answers_422_for_an_empty_or_malformed_batch(api: Any, team: Any) -> None:
    empty = api.post("/inbox/approve", {"items": []})
    no_version = api.post("/inbox/approve", {"items": [{"plan_id": "x"}]})

    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "items"]
    assert no_version.status_code == 422
    locs = [p["loc"] for p in no_version.json()["detail"]]
    assert ["body", "items", 0, "version"] in locs


def test_it_declares_every_answer_in_the_openapi_document(api: Any) -> None:
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in [("/api/v1/inbox", "get"), ("/api/v1/inbox/approve", "post")]:
        responses = paths[path][method]["responses"]
        assert set(responses) == {"200", "401", "403", "404", "409", "413", "422"}
        for answer in responses.values():
            assert "schema" in answer["content"]["application/json"]
