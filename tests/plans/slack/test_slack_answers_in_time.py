"""Slack gives up on an interaction not answered within 3 seconds: a slow Slack API delays
neither the answer nor the decision."""

from __future__ import annotations

import time
from typing import Any

from plans.states import PlanStatus
from tests.factories import submit_plan
from tests.plans.slack.standin import SlackStandIn, click_body, post_click


def test_it_answers_within_three_seconds_when_posting_the_answer_hangs(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    plan = submit_plan(team)
    post_click(click_body("warm-up", 1, action="plangate_open"))  # the first request's imports
    slack.delays["chat.postMessage"] = 5

    started = time.monotonic()
    response = post_click(click_body(str(plan.pk), plan.version))
    elapsed = time.monotonic() - started

    assert elapsed < 3, elapsed
    assert response.json() == {"text": "Approved by alice (version 1)", "decided": True}
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
