"""On PostgreSQL a worker looking for ready steps locks the plans that have some and claims
them: two statements, which also leave alone the steps of every executor whose circuit is not
closed. The circuits are read on their own only when one is due for a trial."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orchestration.engine import queue
from plans import services
from plans.models import CircuitState, ExecutorCircuit
from tests.factories import WORKER, approve, step, submit_plan

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def claim_all() -> tuple[list[str], list[str]]:
    """Claim every ready step: their keys, and the statements it took."""
    with CaptureQueriesContext(connection) as queries:
        claims = queue.steps_claim(worker="test", actor=WORKER, limit=10, lease_seconds=60)
    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    return sorted(c.key for c in claims), statements


def started_plan(team: Any, *keys: str) -> Any:
    plan = approve(submit_plan(team, [step(key) for key in keys]))
    services.plan_start(plan=plan, actor=WORKER)
    return plan


def circuit(team: Any, state: str, **until: Any) -> None:
    ExecutorCircuit.objects.create(team=team, executor="echo", state=state, **until)


def test_ready_steps_are_claimed_in_two_statements(team: Any, other_team: Any) -> None:
    started_plan(team, "ours")
    started_plan(other_team, "theirs")

    keys, statements = claim_all()

    assert keys == ["ours", "theirs"]
    assert len(statements) == 2, "\n\n".join(statements)


def test_an_open_circuits_steps_are_left_alone_by_the_same_two_statements(
    team: Any, other_team: Any
) -> None:
    started_plan(team, "ours")
    started_plan(other_team, "theirs")
    # Our team's echo circuit is open: its steps wait; the other team's go on.
    circuit(team, CircuitState.OPEN, open_until=timezone.now() + timedelta(minutes=5))

    keys, statements = claim_all()

    assert keys == ["theirs"]
    assert len(statements) == 2, "\n\n".join(statements)


def test_a_circuit_due_for_a_trial_lets_one_step_through(team: Any) -> None:
    started_plan(team, "first", "second")
    circuit(team, CircuitState.OPEN, open_until=timezone.now() - timedelta(seconds=1))

    keys, _ = claim_all()

    # One step of it, the trial; the circuit is half open while it runs.
    assert keys == ["first"]
    assert ExecutorCircuit.objects.get(team=team, executor="echo").state == "half_open"
    assert claim_all()[0] == []
