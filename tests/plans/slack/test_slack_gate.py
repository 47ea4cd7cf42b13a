"""Approve a gate in Slack: the step the button names runs next."""

from __future__ import annotations

from typing import Any

from plans.models import DecisionSource, EventKind, PlanEvent
from plans.states import StepStatus
from tests.plans.gates.support import started
from tests.plans.slack.standin import SlackStandIn, click_body, post_click


def test_it_approves_the_gate_and_answers_in_the_thread(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    plan = started(team)

    response = post_click(click_body(str(plan.pk), plan.version, step="deploy"))

    assert response.json() == {
        "text": "Gate `deploy` approved by alice (version 1)",
        "decided": True,
    }
    step = plan.steps.get(key="deploy")
    assert step.status == StepStatus.PENDING
    assert step.gate_approved_by == "user:alice"
    event = PlanEvent.objects.get(plan=plan, kind=EventKind.STEP_APPROVED)
    assert event.source == DecisionSource.SLACK
    assert [m["text"] for m in slack.called("chat.postMessage")] == [
        "Gate `deploy` approved by alice (version 1)"
    ]


def test_it_says_who_approved_the_gate_first(slack: SlackStandIn, alice: Any, team: Any) -> None:
    plan = started(team)
    post_click(click_body(str(plan.pk), plan.version, step="deploy"))

    response = post_click(click_body(str(plan.pk), plan.version, step="deploy"))

    assert response.json()["decided"] is False
    assert response.json()["text"].startswith("Gate `deploy` already approved by alice at ")
    assert PlanEvent.objects.filter(plan=plan, kind=EventKind.STEP_APPROVED).count() == 1
