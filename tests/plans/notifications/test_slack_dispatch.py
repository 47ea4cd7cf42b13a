"""Slack subscriptions are delivered by the Slack package's deliver(message), by dotted path."""

from __future__ import annotations

from typing import Any

from orchestration.engine import outbox
from plans.models import Channel, OutboxMessage, Subscription
from plans.notifications import delivery
from tests.factories import submit_plan

SENT: list[tuple[str, dict[str, Any]]] = []


def deliver_ok(message: Any) -> None:
    SENT.append((message.subscription.target, message.payload))


def deliver_failing(message: Any) -> None:
    raise RuntimeError("channel_not_found")


def test_it_hands_the_message_to_the_slack_deliverer(team: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(delivery, "SLACK_DELIVER", f"{__name__}.deliver_ok")
    SENT.clear()
    Subscription.objects.create(team=team, channel=Channel.SLACK, target="C0123")
    plan = submit_plan(team)

    outbox.messages_deliver(worker="w1")

    assert [(target, p["plan"]["id"]) for target, p in SENT] == [("C0123", str(plan.pk))]
    assert OutboxMessage.objects.get().status == "delivered"


def test_it_counts_an_error_of_the_deliverer_as_a_failed_attempt(
    team: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(delivery, "SLACK_DELIVER", f"{__name__}.deliver_failing")
    Subscription.objects.create(team=team, channel=Channel.SLACK, target="C0123")
    submit_plan(team)

    outbox.messages_deliver(worker="w1")

    message = OutboxMessage.objects.get()
    assert message.status == "pending"
    assert message.last_error == "RuntimeError: channel_not_found"
