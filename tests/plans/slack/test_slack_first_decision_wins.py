"""A click on a plan that is no longer waiting decides nothing and says what happened."""

from __future__ import annotations

import re
from typing import Any

from plans import services
from plans.models import EventKind, PlanEvent
from plans.states import PlanStatus
from tests.factories import UserFactory, submit_plan
from tests.plans.slack.standin import SlackStandIn, click_body, post_click


def test_it_answers_a_second_click_with_who_approved_and_when(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    bob = UserFactory(username="bob", email="bob@example.com")
    team.members.add(bob)
    slack.emails["U_BOB"] = "bob@example.com"
    plan = submit_plan(team)
    post_click(click_body(str(plan.pk), plan.version))

    response = post_click(click_body(str(plan.pk), plan.version, user="U_BOB"))

    text = response.json()["text"]
    assert response.json()["decided"] is False
    assert re.match(r"Already approved by alice at \d\d:\d\d UTC \(version 1\)", text), text
    assert PlanEvent.objects.filter(plan=plan, kind=EventKind.PLAN_APPROVED).count() == 1
    [ephemeral] = slack.called("chat.postEphemeral")
    assert ephemeral["user"] == "U_BOB"
    assert ephemeral["text"] == text


def test_it_sends_a_click_on_an_older_version_to_the_new_one(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    plan = submit_plan(team)
    plan.version = 2
    plan.save(update_fields=["version"])

    response = post_click(click_body(str(plan.pk), 1))

    assert response.json() == {
        "text": "The plan changed since version 1: open it to review version 2. "
        "Nothing was decided.",
        "decided": False,
    }
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_it_says_who_cancelled_the_plan(slack: SlackStandIn, alice: Any, team: Any) -> None:
    plan = submit_plan(team)
    services.plan_cancel(plan=plan, actor=services.Actor.for_user(alice), reason="not needed")

    response = post_click(click_body(str(plan.pk), plan.version))

    assert response.json()["text"].startswith("Already cancelled by alice at ")
