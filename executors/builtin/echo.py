"""The `echo` executor: returns what it was given, for trying plans out and for tests."""

from __future__ import annotations

from typing import Any

from executors.protocol import StepOutcome, StepSpec


class EchoExecutor:
    """Succeeds with {"task", "params", "inputs"} of the step; any params are accepted.

    `run` is `async def`: it is pure and instant, so the worker runs it on its event loop without
    a thread. It never fails.
    """

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        """Accepts any params."""
        return []

    async def run(self, spec: StepSpec) -> StepOutcome:
        """Always succeeds, echoing the step's task, params and inputs."""
        return StepOutcome.success(
            {"task": spec.task, "params": spec.params, "inputs": spec.inputs}
        )
