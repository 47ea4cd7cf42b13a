"""What a worker holds for a step it claimed, and what it reports back: the queue hands out
claims (orchestration/engine/queue.py), the worker runs them, fan-out expands them
(orchestration/engine/fanout.py), and the queue records their reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from executors.protocol import StepOutcome


@dataclass(frozen=True)
class Claim:
    """A step a worker claimed: what it needs to run it and to report back."""

    id: int
    plan_id: UUID
    team_id: int
    key: str
    attempt: int
    executor: str
    task: str
    hint: str
    params: dict[str, Any]
    context: dict[str, Any]
    timeout: float
    max_attempts: int
    for_each: dict[str, Any] | None
    parent_id: int | None
    item_index: int | None
    item: Any
    inputs: dict[str, Any]
    # Attempts cut short by a dead worker: they do not use up the step's max_attempts (only
    # PLANGATE_POISON_AFTER limits them).
    lost_leases: int = 0
    # Attempts handed back at shutdown or failed while the executor's circuit was open.
    spared_attempts: int = 0
    # The step's own guardrails, quality gate and recovery recipes, as submitted (None: none).
    guardrails: dict[str, Any] | None = None
    quality: dict[str, Any] | None = None
    recover: dict[str, Any] | None = None
    # The recovery recipes this step has used (plans/recovery/): a fallback or adjust runs once.
    recoveries: tuple[str, ...] = ()

    @property
    def failed_attempts(self) -> int:
        """The attempts that count against max_attempts, this one included."""
        return self.attempt - self.lost_leases - self.spared_attempts


@dataclass(frozen=True)
class Report:
    """A worker's outcome for one claimed attempt."""

    claim: Claim
    outcome: StepOutcome
    # A failure that asks a reviewer whatever the step's on_failure says (a guardrail with
    # on_block "ask", a recovery recipe "ask").
    ask: bool = False
    # Written into the step's event with the outcome: what guardrails found, which recovery
    # recipe applied, what the attempt consumed.
    note: dict[str, Any] = field(default_factory=dict)
