"""The API's plan shows its quorum: who approved the version under review, how many more."""

from __future__ import annotations

from plans import services
from tests.plans.approvals.support import by, group, person

PLAN = {
    "goal": "Pay the invoices",
    "user_id": "u",
    "topic_id": "t",
    "steps": [{"key": "pay", "task": "pay them"}],
}


def test_it_shows_one_of_two_approvals_from_the_group(api, team, reviewer):
    group(team, "finance", reviewer, person(team, "bob"))
    created = api.post("/plans", {**PLAN, "required_approvals": 2, "approver_group": "finance"})
    assert created.status_code == 201
    assert created.json()["approvals"] == {
        "required": 2,
        "count": 0,
        "by": [],
        "group": "finance",
        "needed": 2,
    }
    plan_id = created.json()["id"]
    plan = services.Plan.objects.get(pk=plan_id)

    services.plan_approve(plan=plan, actor=by(reviewer), version=1)

    body = api.get(f"/plans/{plan_id}").json()
    assert body["status"] == "draft"
    assert body["approvals"] == {
        "required": 2,
        "count": 1,
        "by": ["user:alice"],
        "group": "finance",
        "needed": 1,
    }


def test_it_answers_403_to_a_token_where_a_group_decides(api, team):
    group(team, "finance")
    plan_id = api.post("/plans", {**PLAN, "approver_group": "finance"}).json()["id"]

    answer = api.post(f"/plans/{plan_id}/approve", {"version": 1})

    assert answer.status_code == 403
    assert "approver group 'finance'" in answer.json()["detail"]
    assert api.get(f"/plans/{plan_id}").json()["status"] == "draft"
