"""The `python` executor: calls an allowlisted function with the step's spec."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from executors.protocol import StepOutcome, StepSpec


class PythonExecutor:
    """Calls the function named by params.function and succeeds with its JSON result.

    The name must be a key of settings.PLANGATE_PYTHON_FUNCTIONS; a plan never gives a dotted
    path, so it can only run code an operator listed.
    """

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        """One message for a missing, non-string or unlisted function name, naming the allowed."""
        name = params.get("function")
        allowed = ", ".join(sorted(settings.PLANGATE_PYTHON_FUNCTIONS)) or "none"
        if name is None:
            return [f"function is required; allowed: {allowed}"]
        if not isinstance(name, str):
            return [f"function must be a name (a string), not {type(name).__name__}"]
        if name not in settings.PLANGATE_PYTHON_FUNCTIONS:
            return [f"function {name!r} is not allowed; allowed: {allowed}"]
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        """Call the function; failures (not retryable) for a name no longer allowed, an
        exception ("<Type>: <message>"), or a result that is not JSON."""
        # The allowlist is read again here: settings may have changed since the plan was checked.
        problems = self.validate_params(spec.params)
        if problems:
            return StepOutcome.failure(f"python: {problems[0]}", retryable=False)
        name = spec.params["function"]
        try:
            function = import_string(settings.PLANGATE_PYTHON_FUNCTIONS[name])
            result = function(spec)
        except Exception as error:
            return StepOutcome.failure(f"{type(error).__name__}: {error}", retryable=False)
        try:
            json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as error:
            return StepOutcome.failure(
                f"python: function {name!r} returned a value that is not JSON: {error}",
                retryable=False,
            )
        return StepOutcome.success(result)
