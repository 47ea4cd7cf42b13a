"""What a fan-out step's `for_each` means, for everyone who reads it: the stages each item goes
through, how many items are under way at once, and the keys of the items' steps.

The engine expands a fan-out step and moves its items on (orchestration/engine/fanout.py); the
plan page and the API show them (plans/selectors.py, plans/api/schemas.py); checkpoints restore
them. Pure: it reads a step's fields and touches no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plans.validation import FAN_OUT_DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from plans.models import PlanStep


@dataclass(frozen=True)
class Stage:
    """One stage every item goes through. A plain fan-out has one, unnamed: the step itself."""

    name: str
    executor: str
    params: dict[str, Any]
    task: str
    timeout_seconds: float | None
    max_attempts: int | None


def stages_of(step: PlanStep) -> list[Stage]:
    """The stages of a fan-out step (its for_each was checked at submission)."""
    spec = step.for_each or {}
    if not spec.get("stages"):
        return [
            Stage(
                name="",
                executor=step.executor,
                params=step.params,
                task=step.task,
                timeout_seconds=step.timeout_seconds,
                max_attempts=step.max_attempts,
            )
        ]
    return [
        Stage(
            name=s["name"],
            executor=s["executor"],
            params=s.get("params", {}),
            task=s.get("task") or step.task,
            timeout_seconds=s.get("timeout_seconds", step.timeout_seconds),
            max_attempts=s.get("max_attempts", step.max_attempts),
        )
        for s in spec["stages"]
    ]


def window(spec: Any) -> int:
    """How many items of a fan-out step may be under way at once: at least 1.

    Checked at submission and on restore; a for_each written some other way must still neither
    stall the fan-out (below 1, no item would ever start) nor crash the worker, so anything that
    is not a whole number counts as the default.
    """
    value = spec.get("max_concurrency") if isinstance(spec, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        return FAN_OUT_DEFAULT_CONCURRENCY
    return max(1, value)


def stage_name(parent: PlanStep, stage_index: int | None) -> str:
    """The name of a child's stage; "" for a plain fan-out's single stage."""
    stages = (parent.for_each or {}).get("stages") or []
    return (
        stages[stage_index]["name"] if stage_index is not None and stage_index < len(stages) else ""
    )


def child_key(parent_key: str, index: int, stage: str) -> str:
    return f"{parent_key}[{index}]" + (f".{stage}" if stage else "")
