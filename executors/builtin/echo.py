"""The `echo` executor: returns what it was given, for trying plans out and for tests."""

from __future__ import annotations

from typing import Any

from executors.protocol import StepOutcome, StepSpec


class EchoExecutor:
    """Succeeds with {"task", "params", "inputs"} of the step; any params are accepted."""

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        """Accepts any params."""
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        """Always succeeds, echoing the step's task, params and inputs."""
        return StepOutcome.success(
            {"task": spec.task, "params": spec.params, "inputs": spec.inputs}
        )
