"""Delivering an outbox message to a Slack channel: posted with the bot token; Slack's refusal
raised with its error, so that the outbox retries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from plans.slack.deliver import SlackDeliveryFailed, deliver
from tests.plans.slack.payloads import payload
from tests.plans.slack.standin import BOT_TOKEN, SlackStandIn


@dataclass
class Subscription:
    target: str


@dataclass
class Message:
    payload: dict[str, Any]
    subscription: Subscription


def test_it_posts_the_message_to_the_channel_with_the_bot_token(slack: SlackStandIn) -> None:
    ts = deliver(Message(payload("plan.waiting"), Subscription("C_REVIEW")))

    [call] = slack.calls
    assert call.method == "chat.postMessage"
    assert call.authorization == f"Bearer {BOT_TOKEN}"
    assert call.body["channel"] == "C_REVIEW"
    assert "Rotate the API keys" in call.body["text"]
    assert [b["type"] for b in call.body["blocks"]][-1] == "actions"
    assert ts


def test_it_raises_slacks_error_when_slack_refuses(slack: SlackStandIn) -> None:
    slack.errors["chat.postMessage"] = "channel_not_found"

    with pytest.raises(SlackDeliveryFailed, match="channel_not_found"):
        deliver(Message(payload("plan.waiting"), Subscription("C_GONE")))


def test_it_raises_when_slack_cannot_be_reached(settings: Any) -> None:
    settings.PLANGATE_SLACK_BOT_TOKEN = "xoxb-test"
    settings.PLANGATE_SLACK_API_URL = "http://127.0.0.1:9/api"

    with pytest.raises(SlackDeliveryFailed, match="ConnectError"):
        deliver(Message(payload("plan.waiting"), Subscription("C_REVIEW")))


def test_it_raises_without_a_bot_token(slack: SlackStandIn, settings: Any) -> None:
    settings.PLANGATE_SLACK_BOT_TOKEN = ""

    with pytest.raises(SlackDeliveryFailed, match="PLANGATE_SLACK_BOT_TOKEN"):
        deliver(Message(payload("plan.waiting"), Subscription("C_REVIEW")))
    assert slack.calls == []
