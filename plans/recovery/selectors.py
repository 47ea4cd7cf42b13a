"""What a step runs now, as the API and the plan page show it."""

from __future__ import annotations

from typing import Any

from plans.models import PlanStep


def step_runs(step: PlanStep) -> dict[str, Any] | None:
    """What the step's next (or last) attempt runs when a recovery changed it: executor, params
    and the recipes used ("step:<class>", "executor:<name>:<class>"); None when it runs what
    was submitted."""
    if not step.run_executor and step.run_params is None:
        return None
    return {
        "executor": step.run_executor or step.executor,
        "params": step.params if step.run_params is None else step.run_params,
        "recoveries": list(step.recoveries or []),
    }
