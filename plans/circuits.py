"""Circuit breakers, one per executor, shared by every worker through the database.

After settings.PLANGATE_BREAKER_FAILURES consecutive failures that say the executor is unwell
(timeouts, rate limits, executor errors: see executors.protocol.BREAKER_COUNTED), the circuit
opens for PLANGATE_BREAKER_COOLDOWN_SECONDS: steps of that executor are not claimed, so they wait
instead of failing. Once the cool-down is over the circuit is half open: steps flow again, and the
next outcome closes it (a success) or opens it for another cool-down (a counted failure).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from executors.protocol import BREAKER_COUNTED, StepOutcome
from plans import realtime
from plans.models import CircuitState, ExecutorCircuit, Plan, PlanEvent
from plans.services import notify_workers
from plans.states import PlanStatus, StepStatus

logger = logging.getLogger(__name__)

# At most this many plans' pages are nudged when a circuit changes; the others catch up on their
# next event.
NUDGE_PLANS = 500


@dataclass(frozen=True)
class Circuit:
    """What the API and the plan page show for one executor."""

    executor: str
    state: str
    consecutive_failures: int
    open_until: datetime | None
    last_error: str
    # When the circuit last counted an outcome (None: never). Pages showing it since then redraw.
    changed_at: datetime | None = None


def current_state(circuit: ExecutorCircuit, now: datetime | None = None) -> str:
    """The state as it is now: an open circuit whose cool-down is over is half open."""
    now = now or timezone.now()
    if circuit.state == CircuitState.OPEN and circuit.open_until and circuit.open_until <= now:
        return CircuitState.HALF_OPEN
    return circuit.state


def circuits_for(executors: Iterable[str]) -> list[Circuit]:
    """The circuit of each named executor, closed for those that never failed."""
    names = sorted(set(executors))
    rows = {c.executor: c for c in ExecutorCircuit.objects.filter(executor__in=names)}
    now = timezone.now()
    out = []
    for name in names:
        row = rows.get(name)
        if row is None:
            out.append(Circuit(name, CircuitState.CLOSED, 0, None, ""))
        else:
            out.append(
                Circuit(
                    name,
                    current_state(row, now),
                    row.consecutive_failures,
                    row.open_until,
                    row.last_error,
                    row.updated_at,
                )
            )
    return out


def paused_executors() -> list[str]:
    """Executors whose circuit is open now: their steps are not claimed."""
    return list(
        ExecutorCircuit.objects.filter(
            state=CircuitState.OPEN, open_until__gt=timezone.now()
        ).values_list("executor", flat=True)
    )


def record(outcomes: Sequence[tuple[str, StepOutcome]]) -> None:
    """Count finished attempts (executor, outcome), in the order they happened, against the
    executors' circuits. Called inside the transaction that records the outcomes."""
    by_executor: dict[str, list[StepOutcome]] = {}
    for executor, outcome in outcomes:
        if outcome.ok or outcome.failure_class in BREAKER_COUNTED:
            by_executor.setdefault(executor, []).append(outcome)
    if not by_executor:
        return
    failing = {name for name, seen in by_executor.items() if any(not o.ok for o in seen)}
    # The common case, successes on closed circuits, writes nothing: only circuits that have
    # something to reset, or failures to count, are touched (and locked).
    dirty = set(
        ExecutorCircuit.objects.filter(executor__in=by_executor)
        .exclude(state=CircuitState.CLOSED, consecutive_failures=0)
        .values_list("executor", flat=True)
    )
    for name in sorted(failing | dirty):
        _count(name, by_executor[name])


def _count(name: str, outcomes: list[StepOutcome]) -> None:
    threshold = int(settings.PLANGATE_BREAKER_FAILURES)
    cooldown = timedelta(seconds=float(settings.PLANGATE_BREAKER_COOLDOWN_SECONDS))
    with transaction.atomic():
        ExecutorCircuit.objects.get_or_create(executor=name)
        # Locked so that two workers counting failures of one executor add up, not overwrite.
        circuit = ExecutorCircuit.objects.select_for_update().get(executor=name)
        before = current_state(circuit)
        now = timezone.now()
        for outcome in outcomes:
            if outcome.ok:
                circuit.state = CircuitState.CLOSED
                circuit.consecutive_failures = 0
                circuit.open_until = None
                continue
            circuit.consecutive_failures += 1
            circuit.last_error = outcome.error[:2000]
            state = current_state(circuit, now)
            if state == CircuitState.HALF_OPEN or (
                state == CircuitState.CLOSED and circuit.consecutive_failures >= threshold
            ):
                circuit.state = CircuitState.OPEN
                circuit.open_until = now + cooldown
        circuit.save()
        after = current_state(circuit, now)
        if after != before:
            log = logger.warning if after == CircuitState.OPEN else logger.info
            log("executor %s: circuit %s (was %s)", name, after, before)
            # The pages of plans whose steps wait for this executor show its circuit, and no
            # event of theirs says that it changed: nudge them once this commits.
            transaction.on_commit(partial(_nudge_waiting_plans, name))


def circuit_close(*, executor: str) -> bool:
    """Close an executor's circuit by hand (an operator fixed what it calls): its waiting steps
    are claimed again at once. Returns False if it was closed already."""
    with transaction.atomic():
        circuit = ExecutorCircuit.objects.select_for_update().filter(executor=executor).first()
        if circuit is None or (
            circuit.state == CircuitState.CLOSED and circuit.consecutive_failures == 0
        ):
            return False
        was = current_state(circuit)
        circuit.state = CircuitState.CLOSED
        circuit.consecutive_failures = 0
        circuit.open_until = None
        circuit.save()
        logger.info("executor %s: circuit closed by hand (was %s)", executor, was)
        transaction.on_commit(partial(_nudge_waiting_plans, executor))
        notify_workers()
    return True


def _nudge_waiting_plans(executor: str) -> None:
    """Tell the open pages of executing plans with pending steps of `executor` to refresh.
    Never raises: it runs after the commit, and a page missing it only shows the change late."""
    try:
        plans = (
            Plan.objects.filter(
                status=PlanStatus.EXECUTING,
                steps__executor=executor,
                steps__status=StepStatus.PENDING,
            )
            .distinct()
            .annotate(
                last_event=Subquery(
                    PlanEvent.objects.filter(plan=OuterRef("pk")).order_by("-id").values("id")[:1]
                )
            )
            .values_list("pk", "team_id", "last_event")[:NUDGE_PLANS]
        )
        for pk, team_id, last_event in plans:
            realtime.publish(plan_id=pk, team_id=team_id, event_id=last_event or 0)
    except Exception:
        logger.warning("could not nudge the pages waiting for %s", executor, exc_info=True)
