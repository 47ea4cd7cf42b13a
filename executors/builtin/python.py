"""The `python` executor: calls an allowlisted function with the step's spec."""

from __future__ import annotations

import inspect
import json
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from executors.protocol import FailureClass, Final, StepOutcome, StepSpec


class PythonExecutor:
    """Calls the function named by params.function and succeeds with its JSON result.

    The name must be a key of settings.PLANGATE_PYTHON_FUNCTIONS; a plan never gives a dotted
    path, so it can only run code an operator listed. The function takes the StepSpec and returns
    a JSON value, or `Final(value)` to end its pipeline item's chain with that value.

    `run` is a plain method: the worker calls it in a thread, so a function may block. A
    long-running function should watch `spec.cancelled` and return early when it is set.

    Failure classes:
    - bad_input: the name is missing or no longer allowed (the allowlist is read again at run),
      or the function raised ValueError or TypeError, which is how it says its params or inputs
      are unusable. Not retried.
    - executor_error: the function could not be imported, raised any other exception, is async,
      or returned a value that is not JSON (a bug in the function, or something it calls being
      unwell). Retried.
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
        """Call the function and classify what came of it (see the class docstring).

        An exception's failure message is "<Type>: <message>".
        """
        # The allowlist is read again here: settings may have changed since the plan was checked.
        problems = self.validate_params(spec.params)
        if problems:
            return StepOutcome.failure(f"python: {problems[0]}", FailureClass.BAD_INPUT)
        name = spec.params["function"]
        try:
            function = import_string(settings.PLANGATE_PYTHON_FUNCTIONS[name])
        except Exception as error:
            # The operator's setting names something that does not import: not the plan's fault.
            return StepOutcome.failure(f"{type(error).__name__}: {error}")
        try:
            result = function(spec)
        except (ValueError, TypeError) as error:
            return StepOutcome.failure(f"{type(error).__name__}: {error}", FailureClass.BAD_INPUT)
        except Exception as error:
            return StepOutcome.failure(f"{type(error).__name__}: {error}")
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never awaited, on purpose: no "never awaited" warning
            return StepOutcome.failure(
                f"python: function {name!r} is async; the python executor calls plain functions"
            )
        final = isinstance(result, Final)
        value = result.value if isinstance(result, Final) else result
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            return StepOutcome.failure(
                f"python: function {name!r} returned a value that is not JSON: {error}"
            )
        return StepOutcome.success(value, final=final)
