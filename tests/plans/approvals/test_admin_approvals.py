"""The plan's admin page lists its approvals, read-only; the team's page edits its groups."""

from __future__ import annotations

from django.test import Client

from plans import services
from tests.factories import UserFactory, submit_plan
from tests.plans.approvals.support import by, group


def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_it_lists_the_approvals_on_the_plan_page(team, reviewer):
    plan = submit_plan(team, required_approvals=2)
    services.plan_approve(plan=plan, actor=by(reviewer), version=1)

    body = admin_client().get(f"/admin/plans/plan/{plan.pk}/change/").content.decode()

    assert "approvals-0-actor" not in body  # read-only: shown, no inputs
    section = body.split('id="approvals-group"')[1].split("</fieldset>")[0]
    assert "user:alice" in section
    assert "Reviewer in the browser" in section


def test_it_shows_the_approver_groups_with_their_members_on_the_team_page(team, reviewer):
    group(team, "finance", reviewer)

    body = admin_client().get(f"/admin/plans/team/{team.pk}/change/").content.decode()

    assert 'value="finance"' in body
    assert "selectfilter" in body.lower()
