"""Circuit breakers, one per executor and team, shared by every worker through the database.

After settings.PLANGATE_BREAKER_FAILURES consecutive failures that say the executor is unwell
(timeouts, rate limits, executor errors: see executors.protocol.BREAKER_COUNTED), the circuit
opens for PLANGATE_BREAKER_COOLDOWN_SECONDS: steps of that executor are not claimed, so they wait
instead of failing, and an attempt that fails while it is open is not counted against its
step's max_attempts. Once the cool-down is over the circuit is half open: one worker takes the
trial (a compare-and-swap on the row) and runs one step; a success closes the circuit, a counted
failure opens it for another cool-down. If no outcome comes within a cool-down, another trial
is let through.

Circuits are kept per team: one team's failing steps neither pause another team's work nor show
it their error text. The counting itself, shared with the planner's circuits, is
plans/circuits.py. What pages and the API show of a circuit is read in plans/selectors.py
(circuits_for); an operator closes one by hand through plans/services.py (circuit_close).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from django.db.models import Q
from django.utils import timezone

from executors.protocol import BREAKER_COUNTED, StepOutcome
from plans import circuits
from plans.models import CircuitState, ExecutorCircuit

logger = logging.getLogger(__name__)


def key(team_id: int, executor: str) -> str:
    """How the claim names a (team, executor) pair it must leave alone."""
    return f"{team_id}:{executor}"


def not_closed() -> list[str]:
    """The (team, executor) keys of every circuit that is open or half open."""
    return [
        key(team_id, executor)
        for team_id, executor in ExecutorCircuit.objects.exclude(
            state=CircuitState.CLOSED
        ).values_list("team_id", "executor")
    ]


def claim_filter() -> tuple[list[str], list[str]]:
    """For a claim: the (team, executor) keys whose steps must not be claimed now (open, or half
    open with a trial under way), and the half-open trials this worker takes, one step each.

    A trial is due once the cool-down is over, or when the last trial brought no outcome within
    a cool-down; each is taken by exactly one worker, by a compare-and-swap on the row. One
    query when every circuit is closed, which is nearly always.
    """
    now = timezone.now()
    paused: list[str] = []
    due: list[ExecutorCircuit] = []
    for circuit in ExecutorCircuit.objects.exclude(state=CircuitState.CLOSED).only(
        "team_id", "executor", "state", "open_until", "trial_until"
    ):
        until = circuit.open_until if circuit.state == CircuitState.OPEN else circuit.trial_until
        if until is not None and until > now:
            paused.append(key(circuit.team_id, circuit.executor))
        else:
            due.append(circuit)
    cooldown = circuits.cooldown()
    trials: list[str] = []
    for circuit in due:
        still_due = Q(state=CircuitState.OPEN, open_until__lte=now) | Q(
            state=CircuitState.HALF_OPEN, trial_until__lte=now
        )
        taken = ExecutorCircuit.objects.filter(still_due, pk=circuit.pk).update(
            state=CircuitState.HALF_OPEN, trial_until=now + cooldown
        )
        # Another worker took it first: for this one it is a trial under way.
        (trials if taken else paused).append(key(circuit.team_id, circuit.executor))
    return paused, trials


def trial_unused(circuit_key: str) -> None:
    """Give back a trial that found no step to run, so the next claim may take it."""
    team_id, executor = circuit_key.split(":", 1)
    ExecutorCircuit.objects.filter(
        team_id=int(team_id), executor=executor, state=CircuitState.HALF_OPEN
    ).update(trial_until=timezone.now())


def record(
    outcomes: Sequence[tuple[int, str, StepOutcome]],
    *,
    unclean: Collection[tuple[int, str]] | None = None,
) -> set[str]:
    """Count finished attempts (team id, executor, outcome), in the order they happened, against
    the circuits. Called inside the transaction that records the outcomes. Returns the keys of
    the circuits open once they are counted: their failed steps wait for them.

    `unclean`: the (team id, executor) pairs of these outcomes whose circuit is not closed with
    no failures counted, when the caller has read them already (the finish reads them along with
    its plan locks); else they are read here."""
    by_key: dict[tuple[int, str], list[StepOutcome]] = {}
    for team_id, executor, outcome in outcomes:
        if outcome.ok or outcome.failure_class in BREAKER_COUNTED:
            by_key.setdefault((team_id, executor), []).append(outcome)
    if not by_key:
        return set()
    failing = {k for k, seen in by_key.items() if any(not o.ok for o in seen)}
    # The common case, successes on closed circuits, writes nothing: only circuits that have
    # something to reset, or failures to count, are touched (and locked).
    if unclean is None:
        unclean = set(
            ExecutorCircuit.objects.filter(
                team_id__in={team_id for team_id, _ in by_key},
                executor__in={executor for _, executor in by_key},
            )
            .exclude(state=CircuitState.CLOSED, consecutive_failures=0)
            .values_list("team_id", "executor")
        )
    dirty = {pair for pair in unclean if pair in by_key}
    opened = set()
    for team_id, executor in sorted(failing | dirty):
        seen = [(o.ok, o.error) for o in by_key[(team_id, executor)]]
        if circuits.count(team_id, executor, seen) == CircuitState.OPEN:
            opened.add(key(team_id, executor))
    return opened
