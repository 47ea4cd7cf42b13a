"""Delivery of one outbox message to a Slack channel, called by the notification workers.

`deliver(message)` takes the outbox row: `message.payload` is the notification (the outbox's
payload format) and `message.subscription.target` the channel id. Any exception is a failed
attempt that the outbox retries later.
"""

from __future__ import annotations

from typing import Any

from plans.slack import client
from plans.slack.messages import message as slack_message

# A worker is not answering anyone: it may wait longer than a click's answer may.
DELIVERY_TIMEOUT_SECONDS = 10.0


class SlackDeliveryFailed(Exception):
    """Slack did not take the message; the text is Slack's error code (or what went wrong)."""


def deliver(message: Any) -> str:
    """Post the notification in `message.payload` to the channel `message.subscription.target`;
    the posted message's `ts`.

    Raises SlackDeliveryFailed when no channel is given or Slack refuses (`"ok": false`, with
    Slack's error, e.g. "channel_not_found"), answers otherwise than 200, or cannot be reached.
    """
    channel = str(message.subscription.target or "").strip()
    if not channel:
        raise SlackDeliveryFailed("no Slack channel id in the subscription's target")
    content = slack_message(message.payload)
    try:
        answer = client.call(
            "chat.postMessage",
            {"channel": channel, "unfurl_links": False, **content},
            timeout=DELIVERY_TIMEOUT_SECONDS,
        )
    except client.SlackApiError as exc:
        raise SlackDeliveryFailed(exc.error) from exc
    return str(answer.get("ts", ""))
