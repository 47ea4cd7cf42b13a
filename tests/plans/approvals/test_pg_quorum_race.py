"""Two reviewers approving the last place of a quorum at the same moment: one approves the plan,
the other's approval is recorded; never two plan.approved events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plans import services
from plans.models import Approval, Plan, PlanEvent
from tests.factories import submit_plan
from tests.plans.approvals.support import by, person
from tests.races import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Callable[[], Any]]) -> list[str]:
    """The approvals made at the same moment; the plan's status after each, or its error."""
    return [
        f"error: {outcome}" if isinstance(outcome, Exception) else outcome.status
        for outcome in at_once(calls)
    ]


def test_two_reviewers_racing_for_the_last_place_approve_it_once(team, reviewer):
    bob, carol = person(team, "bob"), person(team, "carol")
    for _ in range(5):
        plan = submit_plan(team, required_approvals=2)
        services.plan_approve(plan=plan, actor=by(reviewer), version=1)

        results = race(
            [
                lambda p=plan: services.plan_approve(plan=p, actor=by(bob), version=1),
                lambda p=plan: services.plan_approve(plan=p, actor=by(carol), version=1),
            ]
        )

        assert results == ["approved", "approved"]
        assert Plan.objects.get(pk=plan.pk).status == "approved"
        assert PlanEvent.objects.filter(plan=plan, kind="plan.approved").count() == 1
        assert Approval.objects.filter(plan=plan, version=1).count() == 3
