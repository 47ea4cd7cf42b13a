"""Subscriptions for the notification tests."""

from __future__ import annotations

from typing import Any

from plans.models import Channel, Subscription, Team


def webhook(team: Team, url: str, **fields: Any) -> Subscription:
    """A webhook subscription saved as is (tests point them at local receivers, which the
    checks of subscription_create refuse unless private addresses are allowed)."""
    return Subscription.objects.create(team=team, channel=Channel.WEBHOOK, target=url, **fields)
