"""Counting calls against a circuit breaker, shared by the engine (one circuit per executor and
team) and the planner (one per planner backend and team).

A circuit opens after settings.PLANGATE_BREAKER_FAILURES consecutive counted failures and stays
open for PLANGATE_BREAKER_COOLDOWN_SECONDS; then it is half open, and one trial call decides:
a success closes it, a failure opens it for another cool-down. The rows are ExecutorCircuit,
so the admin shows and closes both kinds alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from plans.models import CircuitState, ExecutorCircuit
from plans.selectors import circuit_state
from plans.services import nudge_waiting_plans

logger = logging.getLogger(__name__)


def cooldown() -> timedelta:
    return timedelta(seconds=float(settings.PLANGATE_BREAKER_COOLDOWN_SECONDS))


def count(team_id: int, name: str, outcomes: Sequence[tuple[bool, str]]) -> str:
    """Count outcomes (succeeded, error text), in the order they happened, against the team's
    circuit `name`; returns its state once they are counted."""
    threshold = int(settings.PLANGATE_BREAKER_FAILURES)
    with transaction.atomic():
        ExecutorCircuit.objects.get_or_create(team_id=team_id, executor=name)
        # Locked so that two processes counting failures of one circuit add up, not overwrite.
        circuit = ExecutorCircuit.objects.select_for_update().get(team_id=team_id, executor=name)
        now = timezone.now()
        before = circuit_state(circuit, now)
        for ok, error in outcomes:
            if ok:
                circuit.state = CircuitState.CLOSED
                circuit.consecutive_failures = 0
                circuit.open_until = circuit.trial_until = None
                continue
            circuit.consecutive_failures += 1
            circuit.last_error = error[:2000]
            state = circuit_state(circuit, now)
            if state == CircuitState.HALF_OPEN or (
                state == CircuitState.CLOSED and circuit.consecutive_failures >= threshold
            ):
                circuit.state = CircuitState.OPEN
                circuit.open_until = now + cooldown()
                circuit.trial_until = None
        circuit.save()
        after = circuit_state(circuit, now)
        if after != before:
            log = logger.warning if after == CircuitState.OPEN else logger.info
            log("%s of team %s: circuit %s (was %s)", name, team_id, after, before)
            # The pages of plans whose steps wait for this executor show its circuit, and no
            # event of theirs says that it changed: nudge them once this commits.
            transaction.on_commit(partial(nudge_waiting_plans, team_id, name))
        return after


def admit(team_id: int, name: str) -> ExecutorCircuit | None:
    """Whether a call may go through the team's circuit `name` now: None if it may, else the
    circuit that refuses it (open, or half open with another caller's trial under way). When
    the cool-down is over, exactly one caller takes the trial (a compare-and-swap on the row)."""
    circuit = ExecutorCircuit.objects.filter(team_id=team_id, executor=name).first()
    if circuit is None or circuit.state == CircuitState.CLOSED:
        return None
    now = timezone.now()
    due = Q(state=CircuitState.OPEN, open_until__lte=now) | Q(
        state=CircuitState.HALF_OPEN, trial_until__lte=now
    )
    taken = ExecutorCircuit.objects.filter(due, pk=circuit.pk).update(
        state=CircuitState.HALF_OPEN, trial_until=now + cooldown()
    )
    if taken:
        return None
    circuit.refresh_from_db()
    return circuit
