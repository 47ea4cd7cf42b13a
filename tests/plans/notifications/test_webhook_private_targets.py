"""Webhooks are refused for non-public addresses, when saved and when sent."""

from __future__ import annotations

from typing import Any

import pytest

from orchestration.engine import outbox
from plans.models import OutboxMessage, Subscription
from plans.notifications.services import SubscriptionInvalid, subscription_create
from tests.factories import submit_plan
from tests.plans.notifications.receiver import receiving
from tests.plans.notifications.support import webhook


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("http://127.0.0.1:9000/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
    ],
)
def test_it_refuses_to_save_a_webhook_to_a_non_public_address(
    team: Any, url: str, what: str
) -> None:
    with pytest.raises(SubscriptionInvalid, match=rf"a non-public \({what}\) address"):
        subscription_create(team=team, channel="webhook", target=url)

    assert not Subscription.objects.exists()


def test_it_refuses_other_schemes(team: Any) -> None:
    with pytest.raises(SubscriptionInvalid, match="not an http"):
        subscription_create(team=team, channel="webhook", target="file:///etc/passwd")


def test_it_saves_a_private_webhook_when_the_setting_allows(team: Any, settings: Any) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True

    sub = subscription_create(team=team, channel="webhook", target="http://10.1.2.3/hook")

    assert sub.secret.startswith("whsec_")


def test_it_refuses_at_delivery_a_target_that_became_private(team: Any, settings: Any) -> None:
    with receiving() as receiver:
        # Saved while allowed (or while its name pointed elsewhere); refused when sent.
        webhook(team, receiver.url)
        submit_plan(team)
        outbox.messages_deliver(worker="w1")

        message = OutboxMessage.objects.get()
        [attempt] = message.tries.all()
        assert not attempt.ok
        assert (
            "refused: '127.0.0.1' resolves to 127.0.0.1, a non-public (loopback) address"
            in attempt.error
        )
        assert receiver.requests == []

        settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
        OutboxMessage.objects.update(next_attempt_at=message.created_at)
        outbox.messages_deliver(worker="w1")

    message.refresh_from_db()
    assert message.status == "delivered"
    assert len(receiver.requests) == 1
