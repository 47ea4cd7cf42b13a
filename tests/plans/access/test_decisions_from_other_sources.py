"""The services check roles whatever the decision came through: a viewer's click in Slack or an
email link is refused like one on the page, and workers and the system are not held to roles."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.access.checks import AccessDenied
from plans.models import DecisionSource, Membership, Role
from tests.factories import UserFactory, submit_plan

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("source", [DecisionSource.SLACK, DecisionSource.EMAIL])
def test_it_refuses_a_viewers_decision_from_anywhere(team: Any, source: str) -> None:
    viewer = UserFactory(username="vic")
    Membership.objects.create(team=team, user=viewer, role=Role.VIEWER)
    plan = submit_plan(team)

    with pytest.raises(AccessDenied, match="vic is a viewer in acme; approving needs reviewer"):
        services.plan_approve(
            plan=plan, actor=services.Actor.for_user(viewer, source=source), version=1
        )


def test_it_refuses_a_superuser_outside_the_django_admin(team: Any) -> None:
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    plan = submit_plan(team)

    with pytest.raises(AccessDenied, match="root is not a member of acme"):
        services.plan_cancel(plan=plan, actor=services.Actor.for_user(root), reason="x")

    services.plan_cancel(plan=plan, actor=services.Actor.for_admin_site(root), reason="x")
    plan.refresh_from_db()
    assert plan.status == "cancelled"


def test_it_lets_the_system_decide(team: Any) -> None:
    plan = submit_plan(team)

    services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)

    plan.refresh_from_db()
    assert plan.status == "approved"
