"""Requesting changes through the API: the plan says what was asked, by whom, on which version."""

from __future__ import annotations

from typing import Any

from plans.models import PlanEvent
from tests.conftest import ApiClient
from tests.factories import step, submit_plan


def test_it_sends_the_draft_back_and_the_plan_says_what_to_change(
    api: ApiClient, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    assert api.get(f"/plans/{plan.pk}").json()["changes_requested"] is None

    response = api.post(
        f"/plans/{plan.pk}/request-changes",
        {"version": 1, "comment": "Use the EU figures.", "step_comments": {"b": "In German."}},
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["version"]) == ("changes_requested", 1)
    request = data["changes_requested"]
    assert request["comment"] == "Use the EU figures."
    assert request["step_comments"] == {"b": "In German."}
    assert request["by"].startswith("token:")
    assert request["version"] == 1
    assert request["at"]
    assert api.get(f"/plans/{plan.pk}").json()["changes_requested"] == request
    event = api.get(f"/plans/{plan.pk}/events").json()[-1]
    assert event["kind"] == "plan.changes_requested"
    assert event["data"] == {
        "version": 1,
        "comment": "Use the EU figures.",
        "step_comments": {"b": "In German."},
    }
    comments = api.get(f"/plans/{plan.pk}/comments").json()
    assert [(c["step_key"], c["body"], c["kind"]) for c in comments] == [
        ("", "Use the EU figures.", "change_request"),
        ("b", "In German.", "change_request"),
    ]


def test_it_refuses_an_outdated_version_with_409(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)
    api.post(f"/plans/{plan.pk}/artifacts", {"title": "Late finding"})

    response = api.post(f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "Redo"})

    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert response.json()["status"] == "draft"


def test_it_refuses_a_plan_that_is_no_draft_with_409(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)
    api.post(f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "Redo"})

    again = api.post(f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "Redo"})
    approve = api.post(f"/plans/{plan.pk}/approve", {"version": 1})

    assert again.status_code == 409
    assert again.json()["detail"] == ("cannot request changes to a plan that is changes_requested")
    assert approve.status_code == 409
    assert approve.json()["status"] == "changes_requested"


def test_it_names_an_unknown_step_and_an_empty_comment_with_422(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a")])

    unknown = api.post(
        f"/plans/{plan.pk}/request-changes",
        {"version": 1, "comment": "Redo", "step_comments": {"zz": "what?"}},
    )
    empty = api.post(f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "  "})

    assert unknown.status_code == 422
    assert unknown.json()["detail"] == [
        {
            "loc": ["body", "step_comments", "zz"],
            "msg": "no step 'zz' in this plan",
            "type": "value_error",
        }
    ]
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "comment"]
    assert api.get(f"/plans/{plan.pk}").json()["status"] == "draft"
    assert not PlanEvent.objects.filter(plan=plan, kind="plan.changes_requested").exists()


def test_another_teams_plan_is_not_found(other_api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)

    response = other_api.post(
        f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "Mine now"}
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "plan not found"}
    plan.refresh_from_db()
    assert plan.status == "draft"
