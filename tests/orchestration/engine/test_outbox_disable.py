"""A subscription that keeps failing is disabled, and an admin turns it back on."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from orchestration.engine import outbox
from plans.models import OutboxMessage, Subscription
from tests.factories import UserFactory, submit_plan
from tests.plans.notifications.receiver import receiving
from tests.plans.notifications.support import webhook

pytestmark = pytest.mark.django_db


def test_it_disables_after_failures_in_a_row_and_an_admin_reenables_it(
    team: Any, settings: Any, client: Any
) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
    settings.PLANGATE_NOTIFY_MAX_FAILURES = 3
    with receiving(statuses=[500, 500, 500, 200]) as receiver:
        sub = webhook(team, receiver.url)
        for _ in range(3):
            submit_plan(team)
        outbox.messages_deliver(worker="w1")
        sub.refresh_from_db()
        assert sub.consecutive_failures == 3
        assert sub.disabled_at is not None
        assert "HTTP 500" in sub.last_error

        # Disabled: new events make no messages, and waiting ones are not sent.
        submit_plan(team)
        assert OutboxMessage.objects.count() == 3
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        assert outbox.messages_deliver(worker="w1") == 0

        admin = UserFactory(username="root", is_staff=True, is_superuser=True)
        client.force_login(admin)
        response = client.post(
            "/admin/plans/subscription/",
            {"action": "reenable", "_selected_action": [sub.pk]},
            follow=True,
        )
        assert "Re-enabled 1 subscription(s)." in response.content.decode()
        sub.refresh_from_db()
        assert (sub.disabled_at, sub.consecutive_failures, sub.enabled) == (None, 0, True)

        # Its waiting messages go out at once.
        assert outbox.messages_deliver(worker="w1") == 3

    assert len(receiver.requests) == 6
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    submit_plan(team)
    assert Subscription.objects.get().messages.count() == 4
