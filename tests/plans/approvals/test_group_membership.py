"""Whose approval counts: the approver group's members, else the team's reviewers and admins,
and a token only where no group is named."""

from __future__ import annotations

import pytest

from plans import services
from plans.access.checks import AccessDenied
from plans.approvals.services import NotAnApprover
from plans.models import Approval, Role, Scope
from tests.factories import submit_plan
from tests.plans.approvals.support import by, group, person

ALL_SCOPES = [Scope.SUBMIT, Scope.READ, Scope.DECIDE]


def test_it_counts_a_member_of_the_group(team, reviewer):
    group(team, "finance", reviewer)
    plan = submit_plan(team, approver_group="finance")

    assert services.plan_approve(plan=plan, actor=by(reviewer), version=1).status == "approved"


def test_it_refuses_a_reviewer_outside_the_group(team, reviewer):
    group(team, "finance", person(team, "carol"))
    plan = submit_plan(team, approver_group="finance")

    with pytest.raises(NotAnApprover, match="alice is not in the approver group 'finance'"):
        services.plan_approve(plan=plan, actor=by(reviewer), version=1)

    assert not Approval.objects.filter(plan=plan).exists()


def test_it_refuses_a_token_when_a_group_is_named(team):
    group(team, "finance")
    plan = submit_plan(team, approver_group="finance")
    token, _ = services.token_create(team=team, name="agent", scopes=ALL_SCOPES)

    with pytest.raises(NotAnApprover, match="a token cannot give one"):
        services.plan_approve(plan=plan, actor=services.Actor.for_token(token), version=1)


def test_it_counts_a_token_once_when_no_group_is_named(team, reviewer):
    plan = submit_plan(team, required_approvals=2)
    token, _ = services.token_create(team=team, name="agent", scopes=ALL_SCOPES)
    actor = services.Actor.for_token(token)

    services.plan_approve(plan=plan, actor=actor, version=1)
    services.plan_approve(plan=plan, actor=actor, version=1)
    assert services.plan_approve(plan=plan, actor=by(reviewer), version=1).status == "approved"

    assert Approval.objects.get(plan=plan, token=token).source == "token"


def test_it_refuses_a_viewer_when_no_group_is_named(team):
    viewer = person(team, "victor", role=Role.VIEWER)
    plan = submit_plan(team)

    # Refused by the role check every decision passes, before the quorum's own.
    with pytest.raises(AccessDenied, match="victor is a viewer in acme; approving needs reviewer"):
        services.plan_approve(plan=plan, actor=by(viewer), version=1)
