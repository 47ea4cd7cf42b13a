"""Comments through the API: added in any status, listed oldest first, refused when bad."""

from __future__ import annotations

from typing import Any

import pytest

from plans.discussion.services import COMMENT_MAX_LENGTH
from tests.conftest import ApiClient
from tests.factories import approve, step, submit_plan


def test_it_adds_and_lists_comments_on_the_plan_and_a_step(api: ApiClient, team: Any) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a")]))

    first = api.post(f"/plans/{plan.pk}/comments", {"body": "Looks *fine*."})
    second = api.post(f"/plans/{plan.pk}/comments", {"body": "Slow step.", "step_key": "b"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["body"] == "Looks *fine*."
    assert first.json()["by"].startswith("token:")
    assert (second.json()["step_key"], second.json()["kind"]) == ("b", "comment")
    listed = api.get(f"/plans/{plan.pk}/comments").json()
    assert [(c["step_key"], c["body"]) for c in listed] == [
        ("", "Looks *fine*."),
        ("b", "Slow step."),
    ]
    later = api.get(f"/plans/{plan.pk}/comments", after=first.json()["id"]).json()
    assert [c["id"] for c in later] == [second.json()["id"]]
    data = api.get(f"/plans/{plan.pk}").json()
    assert (data["status"], data["version"]) == ("approved", 1)
    kinds = [e["kind"] for e in api.get(f"/plans/{plan.pk}/events").json()]
    assert kinds[-2:] == ["comment.added", "comment.added"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"body": ""}, ["body", "body"]),
        ({"body": "   "}, ["body", "body"]),
        ({"body": "x" * (COMMENT_MAX_LENGTH + 1)}, ["body", "body"]),
        ({"body": "a\u0000b"}, ["body"]),
        ({"body": "fine", "step_key": "nope"}, ["body", "step_key"]),
        ({}, ["body", "body"]),
    ],
)
def test_it_refuses_bad_comments_with_422(
    api: ApiClient, team: Any, body: dict[str, Any], loc: list[str]
) -> None:
    plan = submit_plan(team, [step("a")])

    response = api.post(f"/plans/{plan.pk}/comments", body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert api.get(f"/plans/{plan.pk}/comments").json() == []


def test_another_teams_plan_is_not_found(other_api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)

    added = other_api.post(f"/plans/{plan.pk}/comments", {"body": "hello"})
    listed = other_api.get(f"/plans/{plan.pk}/comments")

    assert (added.status_code, listed.status_code) == (404, 404)
    assert listed.json() == {"detail": "plan not found"}


def test_the_openapi_document_declares_every_answer(api: ApiClient) -> None:
    doc = api.client.get("/api/v1/openapi.json").json()
    operations = [
        doc["paths"]["/api/v1/plans/{plan_id}/comments"]["post"],
        doc["paths"]["/api/v1/plans/{plan_id}/comments"]["get"],
        doc["paths"]["/api/v1/plans/{plan_id}/request-changes"]["post"],
    ]

    for operation in operations:
        declared = set(operation["responses"])
        assert {"401", "403", "404", "409", "413", "422"} <= declared
        assert declared & {"200", "201"}
        for answer in operation["responses"].values():
            assert "application/json" in answer["content"]
