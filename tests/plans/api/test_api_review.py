"""Approving, cancelling, skipping and adding artifacts through the API, with their 409s."""

from __future__ import annotations

from typing import Any

from plans.models import PlanEvent
from tests.conftest import ApiClient
from tests.factories import step, submit_plan


def kinds(plan: Any) -> list[str]:
    return list(PlanEvent.objects.filter(plan=plan).values_list("kind", flat=True))


def test_it_approves_the_version_the_reviewer_saw(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)
    response = api.post(f"/plans/{plan.pk}/approve", {"version": 1})
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "approved"
    assert data["approval"]["source"] == "token"
    assert data["approval"]["by"].startswith("token:")
    assert data["approval"]["version"] == 1
    assert data["approved_at"] is not None
    assert kinds(plan) == ["plan.created", "plan.approved"]


def test_it_refuses_an_approval_of_an_outdated_version(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)
    added = api.post(f"/plans/{plan.pk}/artifacts", {"title": "Late finding", "summary": "x"})
    assert added.status_code == 201
    assert api.get(f"/plans/{plan.pk}").json()["version"] == 2

    response = api.post(f"/plans/{plan.pk}/approve", {"version": 1})
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert "changed since version 1" in response.json()["detail"]
    assert api.get(f"/plans/{plan.pk}").json()["status"] == "draft"
    assert api.post(f"/plans/{plan.pk}/approve", {"version": 2}).status_code == 200


def test_a_second_approval_is_a_conflict_naming_the_status(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)
    assert api.post(f"/plans/{plan.pk}/approve", {"version": 1}).status_code == 200
    response = api.post(f"/plans/{plan.pk}/approve", {"version": 1})
    assert response.status_code == 409
    assert response.json()["detail"] == "cannot approve a plan that is approved"
    assert kinds(plan).count("plan.approved") == 1


def test_cancelling_skips_pending_steps_and_records_the_reason(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    response = api.post(f"/plans/{plan.pk}/cancel", {"reason": "wrong customer"})
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["cancel_reason"]) == ("cancelled", "wrong customer")
    assert {(s["status"], s["skip_reason"]) for s in data["steps"]} == {
        ("skipped", "plan cancelled")
    }
    assert data["finished_at"] is not None
    again = api.post(f"/plans/{plan.pk}/cancel", {"reason": "again"})
    assert again.status_code == 409
    assert again.json()["detail"] == "cannot cancel a plan that is cancelled"
    assert api.post(f"/plans/{plan.pk}/approve", {"version": 1}).status_code == 409


def test_skipping_a_step_of_a_draft_raises_the_version(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    response = api.post(f"/plans/{plan.pk}/steps/a/skip", {"reason": "already done by hand"})
    assert response.status_code == 200
    data = response.json()
    assert data["version"] == 2
    a = next(s for s in data["steps"] if s["key"] == "a")
    assert (a["status"], a["skip_reason"]) == ("skipped", "already done by hand")
    assert kinds(plan)[-1] == "step.skipped"
    again = api.post(f"/plans/{plan.pk}/steps/a/skip", {"reason": "twice"})
    assert again.status_code == 409
    assert "cannot skip step 'a' that is skipped" in again.json()["detail"]


def test_skip_needs_a_reason_and_a_real_step(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    assert api.post(f"/plans/{plan.pk}/steps/a/skip", {"reason": " "}).status_code == 422
    assert api.post(f"/plans/{plan.pk}/steps/nope/skip", {"reason": "x"}).status_code == 404
    assert api.get(f"/plans/{plan.pk}").json()["steps"][0]["status"] == "pending"


def test_it_refuses_skips_after_the_plan_ended(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    api.post(f"/plans/{plan.pk}/cancel", {"reason": "stop"})
    response = api.post(f"/plans/{plan.pk}/steps/a/skip", {"reason": "x"})
    assert response.status_code == 409
    assert response.json()["detail"] == "cannot skip step 'a': the plan is cancelled"


def test_artifacts_cannot_be_added_to_an_ended_plan(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)
    api.post(f"/plans/{plan.pk}/cancel", {"reason": "stop"})
    response = api.post(f"/plans/{plan.pk}/artifacts", {"title": "late"})
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]


def test_the_event_log_pages_from_a_point_on(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b")])
    api.post(f"/plans/{plan.pk}/steps/a/skip", {"reason": "r"})
    api.post(f"/plans/{plan.pk}/approve", {"version": 2})
    events = api.get(f"/plans/{plan.pk}/events").json()
    assert [e["kind"] for e in events] == ["plan.created", "step.skipped", "plan.approved"]
    assert events[1]["step_key"] == "a"
    assert events[1]["data"]["reason"] == "r"
    assert events[2]["actor"].startswith("token:")
    later = api.get(f"/plans/{plan.pk}/events", after=events[0]["id"]).json()
    assert [e["id"] for e in later] == [e["id"] for e in events[1:]]
    assert api.get(f"/plans/{plan.pk}/events", after=events[2]["id"]).json() == []
    assert len(api.get(f"/plans/{plan.pk}/events", limit=1).json()) == 1


def test_reasons_and_artifacts_with_nul_characters_are_refused(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    assert api.post(f"/plans/{plan.pk}/cancel", {"reason": "x\u0000"}).status_code == 422
    assert api.post(f"/plans/{plan.pk}/steps/a/skip", {"reason": "x\u0000"}).status_code == 422
    response = api.post(f"/plans/{plan.pk}/artifacts", {"title": "t", "summary": "\u0000"})
    assert response.status_code == 422
    assert "summary contains a NUL character" in response.json()["detail"][0]["msg"]
    plan.refresh_from_db()
    assert (plan.status, plan.version, plan.artifacts.count()) == ("draft", 1, 0)


def test_a_step_key_with_a_nul_character_is_not_found(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    assert api.post(f"/plans/{plan.pk}/steps/a%00/skip", {"reason": "r"}).status_code == 404


def test_it_names_the_current_status_and_version_in_a_conflict(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)
    api.post(f"/plans/{plan.pk}/cancel", {"reason": "stop"})
    response = api.post(f"/plans/{plan.pk}/approve", {"version": 1})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "cannot approve a plan that is cancelled",
        "status": "cancelled",
        "current_version": 1,
    }
