"""A message held by a worker that died is sent by another once the lease expires."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orchestration.engine import outbox
from plans.models import OutboxMessage
from plans.notifications import Result
from tests.factories import submit_plan
from tests.plans.notifications.receiver import receiving
from tests.plans.notifications.support import webhook

pytestmark = pytest.mark.django_db


def test_it_sends_again_after_the_lease_of_a_dead_worker(team: Any, settings: Any) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
    with receiving() as receiver:
        webhook(team, receiver.url)
        submit_plan(team)
        # Claimed, then the worker died before sending.
        [held] = outbox.messages_claim(worker="dead", limit=10, lease_seconds=60)

        assert outbox.messages_deliver(worker="alive") == 0
        OutboxMessage.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
        assert outbox.messages_deliver(worker="alive") == 1

        # The dead worker's late report changes nothing.
        late = outbox.message_record(
            message=held,
            worker="dead",
            started_at=timezone.now(),
            duration_ms=1,
            result=Result(ok=False, error="too late"),
        )

    assert late is False
    message = OutboxMessage.objects.get()
    assert message.status == "delivered"
    assert message.attempts == 2
    assert message.lease_owner == ""
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["Plangate-Delivery"] == str(message.delivery_id)
