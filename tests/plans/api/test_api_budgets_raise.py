"""POST /api/v1/plans/{id}/budget: reviewers raise the budget of a plan held at its budget;
with a quorum, as many approvers must ask for the same amount."""

from __future__ import annotations

from typing import Any

from plans import services
from plans.models import EventKind, Plan, PlanEvent, Scope
from tests.conftest import ApiClient
from tests.plans.budgets.support import held_plan, run, start

DECIDE = [Scope.DECIDE.value, Scope.READ.value]


def decider(team: Any, name: str) -> ApiClient:
    _, raw = services.token_create(team=team, name=name, scopes=DECIDE)
    return ApiClient(raw)


def test_it_shows_why_the_plan_holds(team, api) -> None:
    plan = held_plan(team)
    body = api.get(f"/plans/{plan.pk}").json()
    assert body["status"] == "needs_attention"
    assert body["usage"]["spent"] == 2.0
    assert body["usage"]["hold_reason"] == "budget reached: 2.00 of 1.50"
    assert [s["usage"]["cost"] for s in body["steps"][:2]] == [1.0, 1.0]
    assert body["steps"][2]["usage"] is None


def test_a_raise_with_quorum_one_resumes_the_plan(team, api) -> None:
    plan = held_plan(team)
    answer = api.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 5})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == "executing"
    assert body["budget"] == 5.0
    assert body["usage"]["hold_reason"] == ""
    raised = PlanEvent.objects.get(plan=plan, kind=EventKind.PLAN_BUDGET_RAISED)
    assert raised.data | {"votes": []} == {
        "version": plan.version,
        "old": "1.5000",
        "new": "5.0000",
        "votes": [],
    }


def test_a_raise_with_quorum_two_needs_two_approvers(team) -> None:
    plan = held_plan(team, required_approvals=2)
    first, second = decider(team, "first"), decider(team, "second")
    body = first.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": "4"}).json()
    assert body["status"] == "needs_attention"
    assert body["usage"]["raises"][0]["count"] == 1
    assert body["usage"]["raises"][0]["required"] == 2
    # The same approver again does not count twice.
    body = first.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": "4"}).json()
    assert body["status"] == "needs_attention"
    # Another amount is another raise.
    body = second.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 9}).json()
    assert body["status"] == "needs_attention"
    body = second.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 4}).json()
    assert body["status"] == "executing"
    assert body["budget"] == 4.0


def test_a_stale_version_is_refused(team, api) -> None:
    plan = held_plan(team)
    answer = api.post(f"/plans/{plan.pk}/budget", {"version": plan.version - 1, "budget": 5})
    assert answer.status_code == 409
    assert answer.json()["current_version"] == plan.version
    assert answer.json()["status"] == "needs_attention"


def test_a_budget_not_above_the_spending_is_refused(team, api) -> None:
    plan = held_plan(team)
    answer = api.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 2})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "budget"]


def test_a_plan_not_held_for_its_budget_cannot_be_raised(team, api) -> None:
    plan = held_plan(team)
    api.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 5})
    answer = api.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 6})
    assert answer.status_code == 409
    assert answer.json()["status"] == "executing"


def test_separation_of_duties_keeps_the_submitter_from_raising(team, api) -> None:
    team.separate_duties = True
    team.save()
    submitted = api.post(
        "/plans",
        {
            "user_id": "u",
            "topic_id": "t",
            "goal": "g",
            "budget": 1.5,
            "steps": [{"key": "a", "task": "a"}, {"key": "b", "task": "b", "depends_on": ["a"]}],
        },
    ).json()
    plan = start(Plan.objects.get(pk=submitted["id"]))
    run(plan, "a", cost="2")
    plan.refresh_from_db()
    answer = api.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 5})
    assert answer.status_code == 403
    assert "submitted the plan" in answer.json()["detail"]
    other = decider(team, "other")
    assert (
        other.post(f"/plans/{plan.pk}/budget", {"version": plan.version, "budget": 5}).json()[
            "status"
        ]
        == "executing"
    )
