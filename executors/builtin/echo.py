"""The `echo` executor: returns what it was given, for trying plans out and for tests."""

from __future__ import annotations

from typing import Any

from executors.protocol import StepOutcome, StepSpec, Usage


class EchoExecutor:
    """Succeeds with {"task", "params", "inputs"} of the step; any params are accepted.
    `params.usage`, if given, is reported as what the attempt consumed (a usage object as the
    http executor reads it: model, input_tokens, output_tokens, units, cost); a malformed one
    is refused at submission.

    `run` is `async def`: it is pure and instant, so the worker runs it on its event loop without
    a thread. It never fails.
    """

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        """Accepts any params; a `usage` must be a usage object."""
        if params.get("usage") is None:
            return []
        try:
            Usage.from_json(params["usage"])
        except ValueError as error:
            return [str(error)]
        return []

    async def run(self, spec: StepSpec) -> StepOutcome:
        """Always succeeds, echoing the step's task, params and inputs."""
        usage, warning = None, ""
        if spec.params.get("usage") is not None:
            try:
                usage = Usage.from_json(spec.params["usage"])
            except ValueError as error:
                warning = f"usage ignored: {error}"
        return StepOutcome.success(
            {"task": spec.task, "params": spec.params, "inputs": spec.inputs},
            usage=usage,
            warning=warning,
        )
