"""Clicks at the same moment: two people pressing Approve make one decision, and two copies
of one signed request are acted on once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plans.models import EventKind, PlanEvent
from tests.factories import UserFactory, submit_plan
from tests.plans.slack.standin import (
    SlackStandIn,
    click_body,
    post_click,
    signed_headers,
)
from tests.races import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """The requests sent at the same moment; their answers."""
    return at_once(calls)


def test_it_makes_one_decision_when_two_people_click_approve_at_once(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    team.members.add(UserFactory(username="bob", email="bob@example.com"))
    slack.emails["U_BOB"] = "bob@example.com"
    for _ in range(4):
        plan = submit_plan(team)
        clicks = [click_body(str(plan.pk), 1, user=u) for u in ("U_ALICE", "U_BOB")]

        answers = race([lambda b=body: post_click(b) for body in clicks])

        results = sorted((a.json()["decided"], a.json()["text"]) for a in answers)
        assert [decided for decided, _ in results] == [False, True]
        assert results[0][1].startswith("Already approved by ")
        assert PlanEvent.objects.filter(plan=plan, kind=EventKind.PLAN_APPROVED).count() == 1


def test_it_acts_once_on_two_copies_of_one_signed_request(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    for _ in range(4):
        plan = submit_plan(team)
        body = click_body(str(plan.pk), 1, action="plangate_request_changes")
        headers = signed_headers(body)

        answers = race([lambda b=body, h=headers: post_click(b, h)] * 2)

        assert sorted(a.status_code for a in answers) == [200, 401]
        assert plan.comments.count() == 1
