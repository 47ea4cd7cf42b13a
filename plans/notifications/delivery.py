"""Sending one outbox message through its subscription's channel."""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

from plans.models import Channel, OutboxMessage
from plans.notifications import Result, email, webhook

# Slack messages are built and sent by their own package; looked up when first needed.
SLACK_DELIVER = "plans.slack.deliver.deliver"


def deliver(message: OutboxMessage) -> Result:
    """Send `message` once. Never raises: any error of a channel is a failed attempt."""
    channel = message.subscription.channel
    try:
        if channel == Channel.WEBHOOK:
            return webhook.send(message)
        if channel == Channel.EMAIL:
            return email.send(message)
        if channel == Channel.SLACK:
            answer: Any = import_string(SLACK_DELIVER)(message)
            return Result(ok=True, http_status=answer if isinstance(answer, int) else None)
        return Result(ok=False, error=f"unknown channel {channel!r}")
    except Exception as error:
        return Result(ok=False, error=f"{type(error).__name__}: {error}"[:2000])
