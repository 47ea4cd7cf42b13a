"""A gate with its own quorum: it stays waiting until `count` members of its group approved."""

from __future__ import annotations

import pytest

from plans import services
from plans.approvals.services import NotAnApprover
from plans.gates.services import step_approve
from plans.models import Approval, PlanEvent
from tests.factories import step
from tests.orchestration.support import steps_of
from tests.plans.approvals.support import by, group, person
from tests.plans.gates.support import started


def gated(team):
    return started(
        team,
        [step("deploy", approval={"group": "ops", "count": 2}), step("report", "deploy")],
    )


def test_it_releases_the_gate_at_the_second_approval_of_its_group(team, reviewer):
    bob = person(team, "bob")
    group(team, "ops", reviewer, bob)
    plan = gated(team)

    step_approve(plan=plan, key="deploy", actor=by(reviewer), version=plan.version)

    assert steps_of(plan)["deploy"].status == "awaiting_approval"
    step_approve(plan=plan, key="deploy", actor=by(bob), version=plan.version)
    assert steps_of(plan)["deploy"].status == "pending"
    kinds = list(
        PlanEvent.objects.filter(plan=plan, step_key="deploy").values_list("kind", flat=True)
    )
    assert kinds == ["step.awaiting_approval", "approval.recorded", "step.approved"]
    assert Approval.objects.filter(plan=plan, step_key="deploy").count() == 2


def test_it_refuses_someone_outside_the_gates_group(team, reviewer):
    group(team, "ops", person(team, "bob"))
    plan = gated(team)

    with pytest.raises(NotAnApprover, match="not in the approver group 'ops'"):
        step_approve(plan=plan, key="deploy", actor=by(reviewer), version=plan.version)


def test_it_shows_the_gates_progress_in_the_api(api, team, reviewer):
    group(team, "ops", reviewer, person(team, "bob"))
    plan = gated(team)
    step_approve(plan=plan, key="deploy", actor=by(reviewer), version=plan.version)

    body = api.get(f"/plans/{plan.pk}").json()

    deploy = next(s for s in body["steps"] if s["key"] == "deploy")
    assert deploy["approval"] == "required"
    assert deploy["approvals"] == {
        "required": 2,
        "count": 1,
        "by": ["user:alice"],
        "group": "ops",
        "needed": 1,
    }
    assert next(s for s in body["steps"] if s["key"] == "report")["approvals"] is None


def test_it_keeps_the_gates_quorum_in_the_revision(api, team):
    group(team, "ops")
    created = api.post(
        "/plans",
        {
            "goal": "g",
            "user_id": "u",
            "topic_id": "t",
            "steps": [{"key": "deploy", "task": "d", "approval": {"group": "ops", "count": 2}}],
        },
    )
    assert created.status_code == 201
    plan = services.Plan.objects.get(pk=created.json()["id"])

    revision = plan.revisions.get()

    assert revision.content["steps"][0]["approval"] == {"group": "ops", "count": 2}
