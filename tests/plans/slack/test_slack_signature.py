"""Only Slack may click: requests without Slack's signature, with a wrong one, too old, or
sent a second time are refused with a JSON 401 and decide nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from plans.states import PlanStatus
from tests.factories import submit_plan
from tests.plans.slack.standin import SlackStandIn, click_body, post_click, signed_headers


@pytest.fixture
def plan(team: Any) -> Any:
    return submit_plan(team)


def _refused(response: Any, plan: Any, slack: SlackStandIn, detail: str) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert detail in response.json()["detail"]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert slack.calls == []


def test_it_refuses_a_request_signed_with_another_secret(
    slack: SlackStandIn, alice: Any, plan: Any
) -> None:
    body = click_body(str(plan.pk), plan.version)

    response = post_click(body, signed_headers(body, secret="not-the-secret"))

    _refused(response, plan, slack, "signature does not match")


def test_it_refuses_a_body_changed_after_signing(
    slack: SlackStandIn, alice: Any, plan: Any
) -> None:
    headers = signed_headers(click_body(str(plan.pk), plan.version, action="plangate_open"))

    response = post_click(click_body(str(plan.pk), plan.version), headers)

    _refused(response, plan, slack, "signature does not match")


def test_it_refuses_a_request_without_the_headers(
    slack: SlackStandIn, alice: Any, plan: Any
) -> None:
    body = click_body(str(plan.pk), plan.version)
    headers = signed_headers(body)

    for missing in headers:
        partial = {k: v for k, v in headers.items() if k != missing}
        _refused(post_click(body, partial), plan, slack, "missing")


def test_it_refuses_a_request_older_than_five_minutes(
    slack: SlackStandIn, alice: Any, plan: Any
) -> None:
    body = click_body(str(plan.pk), plan.version)

    response = post_click(body, signed_headers(body, at=time.time() - 5 * 60 - 5))

    _refused(response, plan, slack, "more than 5 minutes")


def test_it_accepts_a_request_four_minutes_old(slack: SlackStandIn, alice: Any, plan: Any) -> None:
    body = click_body(str(plan.pk), plan.version)

    response = post_click(body, signed_headers(body, at=time.time() - 4 * 60))

    assert response.status_code == 200
    assert response.json()["decided"] is True


def test_it_refuses_the_same_request_sent_again(slack: SlackStandIn, alice: Any, team: Any) -> None:
    plan = submit_plan(team)
    body = click_body(str(plan.pk), plan.version, action="plangate_request_changes")
    headers = signed_headers(body)
    assert post_click(body, headers).status_code == 200
    calls = len(slack.calls)

    response = post_click(body, headers)

    assert response.status_code == 401
    assert "replay" in response.json()["detail"]
    assert len(slack.calls) == calls
    assert plan.comments.count() == 1


def test_it_refuses_every_request_when_no_signing_secret_is_set(
    slack: SlackStandIn, alice: Any, plan: Any, settings: Any
) -> None:
    body = click_body(str(plan.pk), plan.version)
    headers = signed_headers(body, secret="")
    settings.PLANGATE_SLACK_SIGNING_SECRET = ""

    _refused(post_click(body, headers), plan, slack, "no signing secret")
