"""A deadline or a rule approves outright, however many approvals the plan still needs."""

from __future__ import annotations

from plans import services
from plans.models import Approval, DecisionSource
from tests.factories import submit_plan


def test_it_approves_on_a_timeout_whatever_the_count(team):
    plan = submit_plan(team, required_approvals=3)
    deadline = services.Actor(label="system", source=DecisionSource.TIMEOUT)

    approved = services.plan_approve(plan=plan, actor=deadline, version=1)

    assert (approved.status, approved.approved_via) == ("approved", "timeout")
    assert not Approval.objects.filter(plan=plan).exists()
