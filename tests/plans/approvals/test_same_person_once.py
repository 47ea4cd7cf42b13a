"""Approving twice counts once, and is no error."""

from __future__ import annotations

from plans import services
from plans.models import Approval, PlanEvent
from tests.factories import submit_plan
from tests.plans.approvals.support import by


def test_it_counts_the_same_reviewer_once(team, reviewer):
    plan = submit_plan(team, required_approvals=2)

    services.plan_approve(plan=plan, actor=by(reviewer), version=1)
    again = services.plan_approve(plan=plan, actor=by(reviewer), version=1)

    assert again.status == "draft"
    assert Approval.objects.filter(plan=plan).count() == 1
    assert PlanEvent.objects.filter(plan=plan, kind="approval.recorded").count() == 1
