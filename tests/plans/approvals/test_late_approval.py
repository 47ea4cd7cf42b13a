"""An approval arriving just after another reached the quorum is recorded, not refused."""

from __future__ import annotations

from plans import services
from plans.models import Approval, PlanEvent
from tests.factories import submit_plan
from tests.plans.approvals.support import by, person


def test_it_records_the_approval_that_came_second_for_the_last_place(team, reviewer):
    bob = person(team, "bob")
    plan = submit_plan(team)
    services.plan_approve(plan=plan, actor=by(reviewer), version=1)

    late = services.plan_approve(plan=plan, actor=by(bob), version=1)

    assert late.status == "approved"
    assert late.approved_by == reviewer
    assert list(Approval.objects.filter(plan=plan).values_list("actor", flat=True)) == [
        "user:alice",
        "user:bob",
    ]
    kinds = list(PlanEvent.objects.filter(plan=plan).values_list("kind", flat=True))
    assert kinds == ["plan.created", "plan.approved", "approval.recorded"]
