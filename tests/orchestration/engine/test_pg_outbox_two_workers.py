"""Two workers delivering at once never send the same message twice (PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from orchestration.engine import outbox
from plans.models import OutboxMessage
from tests.factories import submit_plan
from tests.plans.notifications.receiver import receiving
from tests.plans.notifications.support import webhook

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 40


def test_it_never_sends_a_message_twice(team: Any, settings: Any) -> None:
    settings.PLANGATE_WEBHOOK_ALLOW_PRIVATE = True
    with receiving() as receiver:
        webhook(team, receiver.url)
        webhook(team, receiver.url + "/2")
        for _ in range(MESSAGES // 2):
            submit_plan(team)
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                start.wait()
                while outbox.messages_deliver(worker=name, limit=3):
                    pass
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    sent = Counter(r.headers["Plangate-Delivery"] for r in receiver.requests)
    assert len(sent) == MESSAGES
    assert max(sent.values()) == 1
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    # Both took part.
    workers = set(OutboxMessage.objects.values_list("tries__worker", flat=True))
    assert workers == {"w1", "w2"}
