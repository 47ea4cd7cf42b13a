"""A worker delivers a webhook: a signed JSON POST the receiver can check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orchestration.engine.worker import Worker
from plans.models import DeliveryAttempt, OutboxMessage
from tests.factories import submit_plan
from tests.plans.notifications.receiver import receiving, verify_signature
from tests.plans.notifications.support import webhook

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_posts_the_payload_signed_with_the_subscription_secret(team: Any, settings: Any) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
    with receiving() as receiver:
        sub = webhook(team, receiver.url)
        plan = submit_plan(team)
        with Worker(name="w1", listen=False) as worker:
            # A round runs on the worker's sender thread; the next call reports what it did.
            assert worker.deliver_notifications() is False
            assert worker.sending is not None
            assert worker.sending.result(timeout=30) == 1
            assert worker.deliver_notifications() is True
            assert worker.sending.result(timeout=30) == 0

    message = OutboxMessage.objects.get()
    [request] = receiver.requests
    assert verify_signature(sub.secret, request.headers["Plangate-Signature"], request.body)
    assert not verify_signature("whsec_other", request.headers["Plangate-Signature"], request.body)
    assert not verify_signature(sub.secret, request.headers["Plangate-Signature"], b"{}")
    assert request.headers["Plangate-Delivery"] == str(message.delivery_id)
    assert request.headers["Plangate-Event"] == "plan.waiting"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert body == message.payload
    assert body["plan"]["id"] == str(plan.pk)
    assert message.status == "delivered"
    assert message.delivered_at is not None
    attempt = DeliveryAttempt.objects.get(message=message)
    assert (attempt.number, attempt.ok, attempt.http_status, attempt.worker) == (1, True, 200, "w1")


def test_it_refuses_an_old_signature(team: Any) -> None:
    from plans.notifications.webhook import signature_header

    body = b'{"id": "x"}'
    old = signature_header("whsec_s", body, timestamp=1_700_000_000)

    assert not verify_signature("whsec_s", old, body)
    assert verify_signature("whsec_s", signature_header("whsec_s", body), body)


def test_it_documents_the_check_it_uses() -> None:
    import inspect
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()

    assert inspect.getsource(verify_signature) in readme
