"""A plan needing two approvals waits for the second before it is approved."""

from __future__ import annotations

from plans import services
from plans.models import Approval, PlanEvent
from tests.factories import submit_plan
from tests.plans.approvals.support import by, person


def test_it_keeps_the_plan_a_draft_until_the_second_approval(team, reviewer):
    bob = person(team, "bob")
    plan = submit_plan(team, required_approvals=2)

    first = services.plan_approve(plan=plan, actor=by(reviewer), version=1)

    assert first.status == "draft"
    assert list(PlanEvent.objects.filter(plan=plan).values_list("kind", flat=True)) == [
        "plan.created",
        "approval.recorded",
    ]
    second = services.plan_approve(plan=plan, actor=by(bob), version=1)
    assert second.status == "approved"
    assert second.approved_by == bob
    assert PlanEvent.objects.filter(plan=plan, kind="plan.approved").count() == 1
    rows = Approval.objects.filter(plan=plan).order_by("id")
    assert [(a.actor, a.source, a.role, a.version) for a in rows] == [
        ("user:alice", "browser", "reviewer", 1),
        ("user:bob", "browser", "reviewer", 1),
    ]


def test_it_takes_the_teams_count_when_the_submission_names_none(team, reviewer):
    team.required_approvals = 2
    team.save()
    plan = submit_plan(team)

    assert plan.required_approvals == 2
    assert services.plan_approve(plan=plan, actor=by(reviewer), version=1).status == "draft"
