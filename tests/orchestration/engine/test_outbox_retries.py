"""A failed delivery is retried with exponential backoff and jitter, then given up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orchestration.engine import outbox
from plans.models import OutboxMessage
from tests.factories import submit_plan
from tests.plans.notifications.receiver import receiving
from tests.plans.notifications.support import webhook

pytestmark = pytest.mark.django_db


def make_due() -> None:
    OutboxMessage.objects.update(next_attempt_at=timezone.now())


def test_it_retries_after_a_500_with_backoff_then_delivers(team: Any, settings: Any) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
    settings.PLANGATE_NOTIFY_RETRY_BASE_SECONDS = 100
    with receiving(statuses=[500, 503, 200]) as receiver:
        sub = webhook(team, receiver.url)
        submit_plan(team)

        before = timezone.now()
        assert outbox.messages_deliver(worker="w1") == 1
        first = OutboxMessage.objects.get()
        # Not due before its backoff: a second round sends nothing.
        assert outbox.messages_deliver(worker="w1") == 0
        make_due()
        outbox.messages_deliver(worker="w1")
        second = OutboxMessage.objects.get()
        make_due()
        outbox.messages_deliver(worker="w1")

    assert first.status == "pending"
    assert first.last_error.startswith("HTTP 500")
    # Attempt 1 waits 50..100 s, attempt 2 waits 100..200 s.
    assert before + timedelta(seconds=49) < first.next_attempt_at
    assert first.next_attempt_at < before + timedelta(seconds=101)
    assert timedelta(seconds=99) < second.next_attempt_at - before < timedelta(seconds=202)
    message = OutboxMessage.objects.get()
    assert message.status == "delivered"
    assert [(a.number, a.ok, a.http_status) for a in message.tries.all()] == [
        (1, False, 500),
        (2, False, 503),
        (3, True, 200),
    ]
    # Delivered: the failures in a row are forgotten.
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0
    assert len({r.headers["Plangate-Delivery"] for r in receiver.requests}) == 1


def test_it_gives_up_after_the_last_attempt(team: Any, settings: Any) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
    settings.PLANGATE_NOTIFY_MAX_ATTEMPTS = 2
    with receiving(statuses=[500]) as receiver:
        webhook(team, receiver.url)
        submit_plan(team)
        outbox.messages_deliver(worker="w1")
        make_due()
        outbox.messages_deliver(worker="w1")
        make_due()
        assert outbox.messages_deliver(worker="w1") == 0

    message = OutboxMessage.objects.get()
    assert message.status == "dead"
    assert message.attempts == 2
    assert len(receiver.requests) == 2


def test_it_counts_a_network_error_as_a_failed_attempt(team: Any, settings: Any) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
    settings.PLANGATE_WEBHOOK_TIMEOUT_SECONDS = 2
    with receiving() as receiver:
        url = receiver.url
    # The receiver is gone: nothing listens on its port any more.
    webhook(team, url)
    submit_plan(team)

    outbox.messages_deliver(worker="w1")

    message = OutboxMessage.objects.get()
    assert message.status == "pending"
    [attempt] = message.tries.all()
    assert not attempt.ok
    assert attempt.http_status is None
    assert "ConnectError" in attempt.error
