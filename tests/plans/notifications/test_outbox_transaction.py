"""A notification is written in the transaction of the event it announces."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from plans.models import OutboxMessage, Plan, PlanEvent
from tests.factories import submit_plan
from tests.plans.notifications.support import webhook


class Boom(Exception):
    pass


def test_it_writes_a_message_with_the_event(team: Any, settings: Any) -> None:
    settings.PLANGATE_BASE_URL = "https://plangate.example.com"
    sub = webhook(team, "https://hooks.example.com/plangate")

    plan = submit_plan(team, title="Rotate the keys")

    message = OutboxMessage.objects.get()
    event = PlanEvent.objects.get(plan=plan, kind="plan.created")
    assert message.subscription == sub
    assert message.event == event
    assert message.type == "plan.waiting"
    assert message.status == "pending"
    assert message.payload == {
        "id": str(message.delivery_id),
        "type": "plan.waiting",
        "occurred_at": event.created_at.isoformat(),
        "team": "acme",
        "plan": {
            "id": str(plan.pk),
            "title": "Rotate the keys",
            "goal": "Ship the thing",
            "status": "draft",
            "version": 1,
            "steps": 2,
            "url": f"https://plangate.example.com/plans/{plan.pk}/",
        },
        "step_key": "",
        "event_id": event.pk,
        "data": {"version": 1, "steps": 2},
    }


def test_it_writes_nothing_when_the_change_rolls_back(team: Any) -> None:
    webhook(team, "https://hooks.example.com/plangate")

    with pytest.raises(Boom), transaction.atomic():
        submit_plan(team)
        assert OutboxMessage.objects.count() == 1
        raise Boom

    assert not Plan.objects.exists()
    assert not OutboxMessage.objects.exists()
