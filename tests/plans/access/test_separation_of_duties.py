"""Separation of duties, on by default for new teams: the token that submitted a plan makes no
decision on it, and a person who revised a plan does not approve it (they may still cancel it
or ask for changes). Off in a team's settings, both are allowed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plans import services
from plans.models import Membership, Plan, Role, Scope, Team
from plans.revisions.services import RevisionDraft, plan_revise
from tests.conftest import ApiClient
from tests.factories import UserFactory, step

pytestmark = pytest.mark.django_db

PLAN = {
    "user_id": "u",
    "topic_id": "t",
    "goal": "Ship it",
    "steps": [{"key": "a", "task": "do a", "executor": "echo"}],
}


@pytest.fixture
def strict_team() -> Team:
    # Made as production makes teams: separate_duties is the model's default.
    team = Team.objects.create(name="strict")
    assert team.separate_duties
    return team


def agent(team: Team) -> ApiClient:
    _, raw = services.token_create(team=team, name="agent", scopes=list(Scope.values))
    return ApiClient(raw)


def test_it_refuses_every_decision_of_the_submitting_token(strict_team: Team) -> None:
    client = agent(strict_team)
    plan_id = client.post("/plans", PLAN).json()["id"]

    for path, body in [
        (f"/plans/{plan_id}/approve", {"version": 1}),
        (f"/plans/{plan_id}/cancel", {"reason": "mine"}),
        (f"/plans/{plan_id}/steps/a/skip", {"reason": "mine"}),
        (f"/plans/{plan_id}/request-changes", {"version": 1, "comment": "mine"}),
    ]:
        response = client.post(path, body)
        assert response.status_code == 403, path
        assert response.json() == {
            "detail": "this token submitted the plan; with separation of duties it cannot "
            "decide on it"
        }
    assert Plan.objects.get(pk=plan_id).status == "draft"

    # Another token of the team may.
    assert agent(strict_team).post(f"/plans/{plan_id}/approve", {"version": 1}).status_code == 200


def test_it_lets_the_submitting_token_decide_when_the_team_allows_it(strict_team: Team) -> None:
    strict_team.separate_duties = False
    strict_team.save()
    client = agent(strict_team)
    plan_id = client.post("/plans", PLAN).json()["id"]

    assert client.post(f"/plans/{plan_id}/approve", {"version": 1}).status_code == 200


def revised_by(team: Team, user: Any) -> Plan:
    client = agent(team)
    plan = Plan.objects.get(pk=client.post("/plans", PLAN).json()["id"])
    plan_revise(
        plan=plan,
        actor=services.Actor.for_user(user),
        draft=RevisionDraft(base_version=1, steps=[step("a"), step("b", "a")]),
    )
    plan.refresh_from_db()
    return plan


def test_it_refuses_the_approval_of_a_reviewer_who_revised_the_plan(strict_team: Team) -> None:
    bob = UserFactory(username="bob")
    Membership.objects.create(team=strict_team, user=bob, role=Role.REVIEWER)
    plan = revised_by(strict_team, bob)
    browser = Client()
    browser.force_login(bob)

    response = browser.post(f"/plans/{plan.pk}/approve", {"version": plan.version})

    assert response.status_code == 403
    assert (
        "bob made version 2 of the plan; with separation of duties they cannot approve it."
        in response.content.decode()
    )
    plan.refresh_from_db()
    assert plan.status == "draft"
    # Asking for changes is still theirs to do.
    changes = browser.post(
        f"/plans/{plan.pk}/request-changes", {"version": plan.version, "comment": "one more"}
    )
    assert changes.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "changes_requested"


def test_it_lets_another_reviewer_approve_a_revised_plan(strict_team: Team) -> None:
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    for user in (bob, carol):
        Membership.objects.create(team=strict_team, user=user, role=Role.REVIEWER)
    plan = revised_by(strict_team, bob)

    services.plan_approve(plan=plan, actor=services.Actor.for_user(carol), version=plan.version)

    plan.refresh_from_db()
    assert plan.status == "approved"


def test_it_lets_the_reviser_approve_when_the_team_allows_it(strict_team: Team) -> None:
    strict_team.separate_duties = False
    strict_team.save()
    bob = UserFactory(username="bob")
    Membership.objects.create(team=strict_team, user=bob, role=Role.REVIEWER)
    plan = revised_by(strict_team, bob)
    browser = Client()
    browser.force_login(bob)

    response = browser.post(f"/plans/{plan.pk}/approve", {"version": plan.version})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"


def test_it_tells_the_reviser_on_the_page_why_they_cannot_approve(strict_team: Team) -> None:
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    for user in (bob, carol):
        Membership.objects.create(team=strict_team, user=user, role=Role.REVIEWER)
    plan = revised_by(strict_team, bob)
    reviser, other = Client(), Client()
    reviser.force_login(bob)
    other.force_login(carol)

    page = reviser.get(f"/plans/{plan.pk}/").content.decode()
    others_page = other.get(f"/plans/{plan.pk}/").content.decode()

    assert 'disabled aria-describedby="approve-refusal">Approve version 2' in page
    assert (
        "bob made version 2 of the plan; with separation of duties they cannot approve it" in page
    )
    assert "approve-refusal" not in others_page
    assert ">Approve version 2</button>" in others_page
