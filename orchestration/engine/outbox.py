"""Delivering the notification outbox: claim due messages, send them outside any transaction,
record each attempt.

A message is claimed with a lease (`lease_owner`, `lease_expires_at`) in a short transaction
that skips rows another worker is claiming (`FOR UPDATE SKIP LOCKED`): two workers never send
the same message at once. A worker that dies while sending leaves its lease to expire, and the
message is claimed again then. A worker records an outcome only while its lease is still the
message's current one (same owner, same attempt), so a worker that was too slow cannot undo the
outcome of the attempt that replaced its own. Receivers may therefore see a message twice (sent,
then the worker died before recording it): the delivery id is what they de-duplicate on.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from plans.models import DeliveryAttempt, MessageStatus, OutboxMessage, Subscription
from plans.notifications import Result
from plans.notifications.delivery import deliver

logger = logging.getLogger(__name__)

# Messages a worker sends per round: each may wait for a webhook's timeout, and the worker's
# steps wait for the round to end.
BATCH = 10


def backoff_seconds(attempt: int) -> float:
    """The wait after failed attempt `attempt` (1, 2, ...): base * 2**(attempt-1), at most the
    cap, the upper half of it random (so receivers coming back up are not hit all at once)."""
    delay = min(
        settings.PLANGATE_NOTIFY_RETRY_MAX_SECONDS,
        settings.PLANGATE_NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0),
    )
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311


def messages_claim(*, worker: str, limit: int, lease_seconds: float) -> list[OutboxMessage]:
    """Lease up to `limit` due messages of active subscriptions to `worker`, oldest due first.
    Each claim counts as an attempt."""
    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: a message another worker is claiming right now is left to it; of=self
        # locks the message rows only, not the subscriptions joined in the filter.
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=MessageStatus.PENDING,
                next_attempt_at__lte=now,
                subscription__enabled=True,
                subscription__disabled_at=None,
            )
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        OutboxMessage.objects.filter(pk__in=ids).update(
            lease_owner=worker,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=F("attempts") + 1,
        )
    return list(
        OutboxMessage.objects.filter(pk__in=ids)
        .select_related("subscription", "subscription__user")
        .order_by("next_attempt_at", "id")
    )


@transaction.atomic
def message_record(
    *, message: OutboxMessage, worker: str, started_at: datetime, duration_ms: int, result: Result
) -> bool:
    """Record one attempt at `message` (claimed by `worker`): delivered, retried later with
    backoff, or given up after PLANGATE_NOTIFY_MAX_ATTEMPTS. A failure counts against the
    subscription, which is disabled after PLANGATE_NOTIFY_MAX_FAILURES in a row. Returns False
    if the worker's lease was lost meanwhile (the attempt is still listed)."""
    DeliveryAttempt.objects.create(
        message_id=message.pk,
        number=message.attempts,
        worker=worker,
        started_at=started_at,
        duration_ms=duration_ms,
        ok=result.ok,
        http_status=result.http_status,
        error=result.error,
    )
    # Under the row lock, and only while the lease is ours: a worker that held the message past
    # its lease finds another worker's attempt in its place and leaves it alone.
    current = (
        OutboxMessage.objects.select_for_update()
        .filter(
            pk=message.pk,
            status=MessageStatus.PENDING,
            lease_owner=worker,
            attempts=message.attempts,
        )
        .first()
    )
    if current is None:
        return False
    now = timezone.now()
    # Locked too: two workers recording failures of one subscription count both.
    sub = Subscription.objects.select_for_update().get(pk=current.subscription_id)
    current.lease_owner = ""
    current.lease_expires_at = None
    if result.ok:
        current.status = MessageStatus.DELIVERED
        current.delivered_at = now
        current.last_error = ""
        if sub.consecutive_failures:
            sub.consecutive_failures = 0
            sub.save(update_fields=["consecutive_failures"])
    else:
        current.last_error = result.error or f"HTTP {result.http_status}"
        if current.attempts >= settings.PLANGATE_NOTIFY_MAX_ATTEMPTS:
            current.status = MessageStatus.DEAD
            logger.warning(
                "notification %s to subscription %s: given up after %d attempts: %s",
                current.delivery_id,
                sub.pk,
                current.attempts,
                current.last_error,
            )
        else:
            current.next_attempt_at = now + timedelta(seconds=backoff_seconds(current.attempts))
        sub.consecutive_failures += 1
        sub.last_error = current.last_error
        fields = ["consecutive_failures", "last_error"]
        if (
            sub.disabled_at is None
            and sub.consecutive_failures >= settings.PLANGATE_NOTIFY_MAX_FAILURES
        ):
            sub.disabled_at = now
            fields.append("disabled_at")
            logger.warning(
                "subscription %s disabled after %d failed attempts in a row",
                sub.pk,
                sub.consecutive_failures,
            )
        sub.save(update_fields=fields)
    current.save(
        update_fields=[
            "status",
            "delivered_at",
            "last_error",
            "next_attempt_at",
            "lease_owner",
            "lease_expires_at",
        ]
    )
    return True


def messages_deliver(*, worker: str, limit: int = BATCH, lease_seconds: float | None = None) -> int:
    """Claim due messages and send each, outside any transaction (a slow receiver holds no
    lock), recording every attempt. Returns how many were attempted."""
    lease = settings.PLANGATE_NOTIFY_LEASE_SECONDS if lease_seconds is None else lease_seconds
    messages = messages_claim(worker=worker, limit=limit, lease_seconds=lease)
    for message in messages:
        started_at = timezone.now()
        began = time.monotonic()
        result = deliver(message)
        took = int((time.monotonic() - began) * 1000)
        message_record(
            message=message,
            worker=worker,
            started_at=started_at,
            duration_ms=took,
            result=result,
        )
        if not result.ok:
            logger.info(
                "notification %s (%s) attempt %d failed: %s",
                message.delivery_id,
                message.type,
                message.attempts,
                result.error,
            )
    return len(messages)
