"""Writing notifications to the outbox, and managing subscriptions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from plans.models import (
    Channel,
    MessageStatus,
    NotificationType,
    OutboxMessage,
    Plan,
    PlanEvent,
    Subscription,
    Team,
)
from plans.notifications import webhook
from plans.notifications.payload import ANNOUNCED_KINDS, build_payload, types_for
from plans.notifications.selectors import Audience, active_subscriptions

# Workers LISTEN on this channel (plans/services.py NOTIFY_CHANNEL): new messages wake them,
# with this payload, so that they start a round of delivery and nothing else.
WAKE_CHANNEL = "plangate"
WAKE_PAYLOAD = "outbox"


class SubscriptionInvalid(ValueError):
    """A subscription's target or types cannot be used."""


def notifications_enqueue(events: Iterable[PlanEvent]) -> int:
    """Write an outbox message for every (active subscription, notification) these just-written
    events make. Call it in the transaction that wrote them: the messages then commit or roll
    back with the change they announce. Returns how many were written."""
    events = [e for e in events if e.kind in ANNOUNCED_KINDS]
    if not events:
        return 0
    plan_ids = {e.plan_id for e in events}
    # Subscriptions first: most teams have none, and then the plans (with their step counts,
    # which the payload carries) need not be read at all.
    subscriptions = active_subscriptions(plan_ids)
    if not subscriptions:
        return 0
    plans = {
        p.pk: p
        for p in Plan.objects.filter(pk__in=plan_ids, team_id__in=list(subscriptions))
        .select_related("team")
        .annotate(step_count=Count("steps"))
    }
    events = [e for e in events if e.plan_id in plans]
    audience = Audience()
    now = timezone.now()
    rows: list[OutboxMessage] = []
    for event in events:
        plan = plans[event.plan_id]
        for type in types_for(event.kind, plan.status):
            for sub in subscriptions.get(plan.team_id, []):
                if not audience.wants(sub, type, event, plan):
                    continue
                delivery_id = uuid.uuid4()
                payload = build_payload(
                    delivery_id=delivery_id,
                    type=type,
                    event=event,
                    plan=plan,
                    steps=plan.step_count,
                )
                rows.append(
                    OutboxMessage(
                        delivery_id=delivery_id,
                        subscription=sub,
                        event=event,
                        type=type,
                        payload=payload,
                        next_attempt_at=now,
                    )
                )
    if not rows:
        return 0
    OutboxMessage.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Sent at commit, and not at all on rollback: a worker woken by it finds the rows.
            cursor.execute("SELECT pg_notify(%s, %s)", [WAKE_CHANNEL, WAKE_PAYLOAD])
    return len(rows)


def check_subscription(
    *, channel: str, target: str, types: list[str], user: Any = None, resolve: bool = True
) -> None:
    """Raise SubscriptionInvalid unless the subscription can be delivered to."""
    unknown = [t for t in types if t not in NotificationType.values]
    if unknown:
        raise SubscriptionInvalid(f"unknown notification types: {', '.join(map(str, unknown))}")
    if channel == Channel.WEBHOOK:
        try:
            webhook.check_target(target, resolve=resolve)
        except webhook.TargetRefused as error:
            raise SubscriptionInvalid(str(error)) from None
    elif channel == Channel.EMAIL:
        if not target and user is None:
            raise SubscriptionInvalid("give an address, or a member whose address to use")
    elif channel == Channel.SLACK:
        if not target:
            raise SubscriptionInvalid("give the Slack channel id")
    else:
        raise SubscriptionInvalid(f"unknown channel {channel!r}")


@transaction.atomic
def subscription_create(
    *,
    team: Team,
    channel: str,
    target: str = "",
    types: list[str] | None = None,
    name: str = "",
    approver_group: Any = None,
    user: Any = None,
) -> Subscription:
    """Create a subscription (a new signing secret with it). Raises SubscriptionInvalid for a
    target that cannot be used: for a webhook, one that is not public."""
    types = list(types or [])
    check_subscription(channel=channel, target=target, types=types, user=user)
    return Subscription.objects.create(
        team=team,
        channel=channel,
        target=target,
        types=types,
        name=name,
        approver_group=approver_group,
        user=user,
    )


@transaction.atomic
def subscription_reenable(*, subscription_id: int) -> bool:
    """Turn a subscription back on after it was disabled for failing: its count of failures
    starts again and its waiting messages are sent at once. Returns False if it was on."""
    # Locked: a worker recording a failure at this moment must not disable it again on the
    # count from before.
    sub = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if sub is None or (sub.is_active and sub.consecutive_failures == 0):
        return False
    sub.enabled = True
    sub.disabled_at = None
    sub.consecutive_failures = 0
    sub.save(update_fields=["enabled", "disabled_at", "consecutive_failures"])
    sub.messages.filter(status=MessageStatus.PENDING).update(next_attempt_at=timezone.now())
    return True
