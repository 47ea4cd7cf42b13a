"""Request changes in Slack: the plan goes back to its author with a comment saying so."""

from __future__ import annotations

from typing import Any

from plans.models import CommentKind, DecisionSource, EventKind, PlanEvent
from plans.states import PlanStatus
from tests.factories import submit_plan
from tests.plans.slack.standin import SlackStandIn, click_body, post_click


def test_it_requests_changes_with_a_comment_from_slack(
    slack: SlackStandIn, alice: Any, team: Any
) -> None:
    plan = submit_plan(team)

    response = post_click(click_body(str(plan.pk), plan.version, action="plangate_request_changes"))

    assert response.json() == {
        "text": "Changes requested by alice (version 1)",
        "decided": True,
    }
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CHANGES_REQUESTED
    comment = plan.comments.get(kind=CommentKind.CHANGE_REQUEST)
    assert "from Slack by alice" in comment.body
    event = PlanEvent.objects.get(plan=plan, kind=EventKind.PLAN_CHANGES_REQUESTED)
    assert event.source == DecisionSource.SLACK
    assert slack.called("chat.postMessage")[0]["text"] == "Changes requested by alice (version 1)"
