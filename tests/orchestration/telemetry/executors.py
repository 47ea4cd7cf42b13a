"""An executor that reports what it consumed, as a model-calling one would."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from executors.protocol import FailureClass, StepOutcome, StepSpec, Usage


class MeteredExecutor:
    """Succeeds with {"answer": 42}, or with params.fail fails as bad input, having used 1200
    tokens in and 300 out of model "small-1" for 0.0125. With params.flaky = n, its first n
    attempts fail as executor errors (retried), without usage."""

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    async def run(self, spec: StepSpec) -> StepOutcome:
        if spec.attempt <= spec.params.get("flaky", 0):
            return StepOutcome.failure(f"attempt {spec.attempt} broke", FailureClass.EXECUTOR_ERROR)
        usage = Usage(model="small-1", input_tokens=1200, output_tokens=300, cost=Decimal("0.0125"))
        if spec.params.get("fail"):
            return StepOutcome.failure(
                "the model refused: " + "no " * 400, FailureClass.BAD_INPUT, usage=usage
            )
        return StepOutcome.success({"answer": 42}, usage=usage)
