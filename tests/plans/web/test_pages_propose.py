"""The planner's page: a reviewer drafts a plan from a goal and lands on it; viewers and
outsiders cannot start plans in a team; bad goals are answered on the form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plans.models import Membership, Plan, Role
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_goal_becomes_a_draft_and_the_reviewer_lands_on_it(reviewer: Any, team: Any) -> None:
    client = logged_in(reviewer)
    page = client.get("/plans/new")
    assert page.status_code == 200
    assert 'name="goal"' in page.content.decode()
    # One team: it is not asked for.
    assert f'type="hidden" name="team" value="{team.pk}"' in page.content.decode()
    response = client.post(
        "/plans/new", {"team": team.pk, "goal": "Count the words of the memo", "topic_id": "q3"}
    )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert (plan.team, plan.user_id, plan.topic_id) == (team, "alice", "q3")
    assert plan.events.get(kind="planning.done").actor == "user:alice"
    landed = client.get(response["Location"]).content.decode()
    assert "Planned: review the draft below" in landed
    assert "count_words" in landed


def test_the_list_links_to_it(reviewer: Any, team: Any) -> None:
    assert 'href="/plans/new"' in logged_in(reviewer).get("/").content.decode()


def test_a_goal_no_action_matches_is_answered_on_the_form(reviewer: Any, team: Any) -> None:
    response = logged_in(reviewer).post(
        "/plans/new", {"team": team.pk, "goal": "Book a flight", "topic_id": "web"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "no action of the catalog matches the goal" in text
    assert "Book a flight" in text  # the goal is kept to edit
    assert not Plan.objects.exists()


def test_a_viewer_may_not_start_plans(team: Any) -> None:
    viewer = UserFactory(username="vera")
    Membership.objects.create(team=team, user=viewer, role=Role.VIEWER)
    client = logged_in(viewer)
    assert "You review in no team" in client.get("/plans/new").content.decode()
    response = client.post("/plans/new", {"team": team.pk, "goal": "Count words", "topic_id": "w"})
    assert response.status_code == 422
    assert not Plan.objects.exists()


def test_no_one_starts_plans_in_another_team(reviewer: Any, team: Any) -> None:
    other = TeamFactory(name="globex")
    response = logged_in(reviewer).post(
        "/plans/new", {"team": other.pk, "goal": "Count the words", "topic_id": "w"}
    )
    assert response.status_code == 422
    assert not Plan.objects.exists()


def test_a_member_of_two_teams_chooses(reviewer: Any, team: Any) -> None:
    second = TeamFactory(name="globex", members=[reviewer])
    client = logged_in(reviewer)
    page = client.get("/plans/new").content.decode()
    assert 'name="team"' in page and "globex" in page
    client.post("/plans/new", {"team": second.pk, "goal": "Count the words", "topic_id": "w"})
    assert Plan.objects.get().team == second


def test_the_form_needs_its_csrf_token(reviewer: Any, team: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = client.post("/plans/new", {"team": team.pk, "goal": "Count", "topic_id": "w"})
    assert response.status_code == 403
    assert not Plan.objects.exists()


def test_logged_out_people_are_sent_to_log_in(db: Any) -> None:
    response = Client().get("/plans/new")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
