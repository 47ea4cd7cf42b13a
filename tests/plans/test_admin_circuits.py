"""Admins see every executor's circuit and can close an open one by hand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from orchestration.engine import circuits
from plans.models import CircuitState, ExecutorCircuit
from tests.factories import UserFactory


def test_an_admin_closes_an_open_circuit_and_its_steps_are_claimed_again(team: Any) -> None:
    circuit = ExecutorCircuit.objects.create(
        team=team,
        executor="http",
        state=CircuitState.OPEN,
        consecutive_failures=5,
        open_until=timezone.now() + timedelta(minutes=10),
        last_error="POST https://tool.example answered 503",
    )
    assert circuits.claim_filter() == ([f"{team.pk}:http"], [])
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    listing = client.get("/admin/plans/executorcircuit/").content.decode()
    assert "POST https://tool.example answered 503" in listing
    response = client.post(
        "/admin/plans/executorcircuit/",
        {"action": "close", "_selected_action": [str(circuit.pk)]},
        follow=True,
    )

    assert "1 closed: http." in response.content.decode()
    circuit.refresh_from_db()
    assert (circuit.state, circuit.consecutive_failures, circuit.open_until) == (
        CircuitState.CLOSED,
        0,
        None,
    )
    assert circuits.claim_filter() == ([], [])
