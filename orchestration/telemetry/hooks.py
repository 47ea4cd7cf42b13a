"""What the worker calls, a line at each point of an attempt's life: its claim, its start, its
end. Each call costs a module-global check when tracing is off, and a counter's lock for the
metrics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from executors.protocol import StepOutcome
from orchestration.telemetry import tracing, worker_metrics

if TYPE_CHECKING:
    from orchestration.engine.claims import Claim


def steps_claimed(claims: Sequence[Claim], *, seconds: float) -> None:
    """A claim took `seconds` and returned `claims`."""
    worker_metrics.steps_claimed(claims, seconds)


def attempt_started(claim: Claim) -> dict[str, str]:
    """An attempt starts: returns the trace headers its executor sends on ({} with tracing
    off)."""
    return tracing.attempt_started(claim)


def attempt_ended(
    claim: Claim, outcome: StepOutcome | None, *, recorded: bool, seconds: float
) -> None:
    """An attempt ended after `seconds`: its outcome was recorded, or refused (`recorded`
    False: the step had moved on), or, with no outcome, this worker stopped it (the plan was
    cancelled, the step reclaimed, the worker is stopping)."""
    if outcome is None:
        status = "stopped"
    elif not recorded:
        status = "refused"
    else:
        status = "completed" if outcome.ok else "failed"
    tracing.attempt_ended(claim, outcome, status)
    worker_metrics.attempt_ended(claim, status, seconds)


def plans_ended() -> bool:
    """Send the spans of plans that ended (at most once a second, only with tracing on)."""
    return tracing.plan_spans.due()
