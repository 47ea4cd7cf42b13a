"""Clicks that decide nothing: an unknown Slack account, a viewer; each told only to the
person who clicked."""

from __future__ import annotations

from typing import Any

from plans.models import Membership, Role
from plans.states import PlanStatus
from tests.factories import UserFactory, submit_plan
from tests.plans.slack.standin import SlackStandIn, click_body, post_click


def test_it_tells_an_unknown_slack_user_they_are_not_a_member(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    UserFactory(username="eve", email="eve@example.com")  # a user, but not in acme
    slack.emails["U_EVE"] = "eve@example.com"
    plan = submit_plan(team)

    response = post_click(click_body(str(plan.pk), plan.version, user="U_EVE"))

    text = "Your Slack account (eve@example.com) is not a member of acme"
    assert response.status_code == 200
    assert response.json()["decided"] is False
    assert response.json()["text"].startswith(text)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    [ephemeral] = slack.called("chat.postEphemeral")
    assert ephemeral["user"] == "U_EVE"
    assert ephemeral["text"].startswith(text)
    assert slack.called("chat.postMessage") == []


def test_it_refuses_a_viewer(slack: SlackStandIn, alice: Any, team: Any) -> None:
    Membership.objects.filter(team=team, user=alice).update(role=Role.VIEWER)
    plan = submit_plan(team)

    response = post_click(click_body(str(plan.pk), plan.version))

    assert response.json() == {
        "text": "alice is a viewer in acme; approving needs reviewer: nothing was decided.",
        "decided": False,
    }
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert slack.called("chat.postMessage") == []


def test_it_decides_nothing_when_slack_shows_no_email(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    slack.emails["U_ALICE"] = ""
    plan = submit_plan(team)

    response = post_click(click_body(str(plan.pk), plan.version))

    assert response.json()["text"].startswith(
        "Your Slack account (no email visible to Plangate) is not a member of acme"
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_it_decides_nothing_when_two_members_share_the_email(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    team.members.add(UserFactory(username="alice2", email="ALICE@example.com"))
    plan = submit_plan(team)

    response = post_click(click_body(str(plan.pk), plan.version))

    assert response.json()["decided"] is False
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_it_decides_nothing_when_slack_cannot_say_who_clicked(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    slack.errors["users.info"] = "missing_scope"
    plan = submit_plan(team)

    response = post_click(click_body(str(plan.pk), plan.version))

    assert response.json() == {
        "text": "Plangate could not look up your Slack account (missing_scope).",
        "decided": False,
    }
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
