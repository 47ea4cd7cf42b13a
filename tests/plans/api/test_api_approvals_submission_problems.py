"""A submission asking for a quorum the team cannot give is a 422 naming the field."""

from __future__ import annotations

from tests.plans.approvals.support import group

PLAN = {"goal": "g", "user_id": "u", "topic_id": "t", "steps": [{"key": "a", "task": "do a"}]}


def problems(answer):
    assert answer.status_code == 422, answer.content
    return {(".".join(map(str, p["loc"])), p["msg"]) for p in answer.json()["detail"]}


def test_it_refuses_more_approvals_than_the_team_allows(api, team):
    found = problems(api.post("/plans", {**PLAN, "required_approvals": 6}))

    assert ("body.required_approvals", "must be a whole number from 1 to 5 (the team's limit)") in (
        found
    )


def test_it_refuses_zero_approvals(api, team):
    found = problems(api.post("/plans", {**PLAN, "required_approvals": 0}))

    assert any(loc == "body.required_approvals" for loc, _ in found)


def test_it_refuses_a_group_the_team_does_not_have(api, team):
    group(team, "finance")

    found = problems(api.post("/plans", {**PLAN, "approver_group": "legal"}))

    assert (
        "body.approver_group",
        "no approver group 'legal' in team 'acme'; groups: finance",
    ) in found


def test_it_lists_every_problem_of_a_gates_approval_object(api, team):
    steps = [
        {"key": "a", "task": "do a"},
        {"key": "b", "task": "do b", "approval": {"group": "nobody", "count": 2}},
        {"key": "c", "task": "do c", "approval": {"count": 0, "colour": "red"}},
    ]

    found = problems(api.post("/plans", {**PLAN, "steps": steps, "required_approvals": 9}))

    locs = {loc for loc, _ in found}
    assert {
        "body.steps.2.approval.colour",
        "body.steps.2.approval.count",
    } <= locs
    assert ("body.steps.2.approval.colour", "unknown field; allowed: group, count") in found
    # Known only once the body's shape is right: the group, and the plan's count.
    fixed = [steps[0], steps[1], {"key": "c", "task": "do c", "approval": {"count": 1}}]
    found = problems(api.post("/plans", {**PLAN, "steps": fixed, "required_approvals": 9}))
    assert {loc for loc, _ in found} == {"body.steps.1.approval.group", "body.required_approvals"}


def test_it_names_an_approval_of_the_wrong_type_once(api, team):
    steps = [{"key": "a", "task": "do a", "approval": 3}]

    found = problems(api.post("/plans", {**PLAN, "steps": steps}))

    assert found == {
        ("body.steps.0.approval", "approval must be 'none', 'required' or an object {group, count}")
    }


def test_it_takes_a_gates_quorum_in_a_delegation_tree(api, team):
    group(team, "ops")
    tree = {
        "goal": "Ship",
        "plan": {"type": "task", "task": "deploy", "approval": {"group": "ops", "count": 2}},
    }

    created = api.post("/plans", {"user_id": "u", "topic_id": "t", "delegation": tree})
    refused = api.post(
        "/plans",
        {
            "user_id": "u",
            "topic_id": "t",
            "delegation": {**tree, "plan": {**tree["plan"], "approval": {"size": 2}}},
        },
    )

    assert created.status_code == 201, created.content
    step = created.json()["steps"][0]
    assert step["approval"] == "required"
    assert (step["approvals"]["required"], step["approvals"]["group"]) == (2, "ops")
    assert ("body.delegation.plan.approval.size", "unknown field; allowed: group, count") in (
        problems(refused)
    )
