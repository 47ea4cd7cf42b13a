"""Approve in Slack: a signed click approves the version on the button, as the member whose
email the Slack account has, and the answer goes to the message's thread."""

from __future__ import annotations

from typing import Any

from plans.models import DecisionSource, EventKind, PlanEvent
from plans.states import PlanStatus
from tests.factories import submit_plan
from tests.plans.slack.standin import SlackStandIn, click_body, post_click


def test_it_approves_the_plan_and_answers_in_the_thread(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    plan = submit_plan(team)

    response = post_click(click_body(str(plan.pk), plan.version, ts="1700000000.000100"))

    assert response.status_code == 200
    assert response.json() == {"text": "Approved by alice (version 1)", "decided": True}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.approved_by == alice
    assert plan.approved_via == DecisionSource.SLACK
    event = PlanEvent.objects.get(plan=plan, kind=EventKind.PLAN_APPROVED)
    assert event.source == DecisionSource.SLACK
    assert event.actor == "user:alice"
    assert slack.called("users.info") == [{"user": "U_ALICE"}]
    [answer] = slack.called("chat.postMessage")
    assert answer["channel"] == "C_REVIEW"
    assert answer["thread_ts"] == "1700000000.000100"
    assert answer["text"] == "Approved by alice (version 1)"


def test_it_answers_an_open_button_click_with_nothing(slack: SlackStandIn, alice: Any) -> None:
    response = post_click(click_body("irrelevant", 1, action="plangate_open"))

    assert response.status_code == 200
    assert response.json() == {"text": "", "decided": False}
    assert slack.calls == []


def test_it_refuses_a_body_without_a_payload(slack: SlackStandIn, db: Any) -> None:
    response = post_click(b"text=hello")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload"]
