"""Subscriptions in the admin: a webhook's secret is shown once, a private target is refused."""

from __future__ import annotations

from typing import Any

import pytest

from orchestration.engine import outbox
from plans.models import OutboxMessage, Subscription
from tests.factories import UserFactory, submit_plan
from tests.plans.notifications.support import webhook


@pytest.fixture
def admin_client(client: Any, team: Any) -> Any:
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def add(client: Any, team: Any, target: str) -> Any:
    return client.post(
        "/admin/plans/subscription/add/",
        {"team": team.pk, "name": "ops", "channel": "webhook", "target": target, "enabled": "on"},
    )


def test_it_shows_the_signing_secret_once(admin_client: Any, team: Any, settings: Any) -> None:
    response = add(admin_client, team, "https://93.184.215.14/hook")

    sub = Subscription.objects.get()
    assert response.status_code == 200
    assert sub.secret in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    change = admin_client.get(f"/admin/plans/subscription/{sub.pk}/change/").content.decode()
    assert sub.secret not in change


def test_it_refuses_a_private_target(admin_client: Any, team: Any) -> None:
    response = add(admin_client, team, "http://169.254.169.254/latest")

    assert response.status_code == 200
    assert "non-public (link-local) address" in response.content.decode()
    assert not Subscription.objects.exists()


def test_it_lists_messages_by_status_with_their_attempts(admin_client: Any, team: Any) -> None:
    webhook(team, "http://127.0.0.1:9/hook")
    submit_plan(team)
    outbox.messages_deliver(worker="w1")
    message = OutboxMessage.objects.get()

    pending = admin_client.get("/admin/plans/outboxmessage/?status__exact=pending").content
    delivered = admin_client.get("/admin/plans/outboxmessage/?status__exact=delivered").content
    detail = admin_client.get(f"/admin/plans/outboxmessage/{message.pk}/change/").content.decode()

    row = f"/admin/plans/outboxmessage/{message.pk}/change/".encode()
    assert row in pending
    assert row not in delivered
    assert "non-public (loopback) address" in detail
    assert str(message.delivery_id) in detail
