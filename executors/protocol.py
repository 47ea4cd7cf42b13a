"""The seam between what a plan asks to run and how it runs.

An executor receives a `StepSpec` and returns a `StepOutcome`. It never touches the database: the
worker records the outcome. An executor that raises is treated as an error outcome that a retry
could not fix, with the exception's text as the message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class ExecutorError(Exception):
    """Base class for executor problems."""


class UnknownExecutor(ExecutorError):
    """A plan or a setting names an executor that is not registered."""


@dataclass(frozen=True)
class StepSpec:
    """Everything an executor may know about the step it runs."""

    plan_id: str
    step_key: str
    task: str
    hint: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # Results of the step's dependencies, by step key. A skipped dependency is absent.
    inputs: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1
    # Set by the worker when the plan is cancelled while the step runs; long-running executors
    # should check it and return early.
    cancelled: threading.Event = field(default_factory=threading.Event, compare=False)

    def as_json(self) -> dict[str, Any]:
        """The spec as a JSON object, as the http executor sends it."""
        return {
            "plan_id": self.plan_id,
            "step_key": self.step_key,
            "task": self.task,
            "hint": self.hint,
            "params": self.params,
            "inputs": self.inputs,
            "context": self.context,
            "attempt": self.attempt,
        }


@dataclass(frozen=True)
class StepOutcome:
    """What running a step came to: ok with a JSON result, or an error."""

    ok: bool
    result: Any = None
    error: str = ""
    # Whether running the step again could succeed (a timeout, a 503), as opposed to bad input.
    retryable: bool = False

    @classmethod
    def success(cls, result: Any) -> StepOutcome:
        return cls(ok=True, result=result)

    @classmethod
    def failure(cls, message: str, *, retryable: bool = False) -> StepOutcome:
        return cls(ok=False, error=message, retryable=retryable)


@runtime_checkable
class Executor(Protocol):
    """Runs one step.

    `validate_params` is called when a plan is submitted and returns one message per problem with
    the step's params (empty when they are fine), so bad plans are refused before anyone reviews
    them. `run` does the work; it returns an outcome rather than raising for expected failures.
    """

    def validate_params(self, params: dict[str, Any]) -> list[str]: ...

    def run(self, spec: StepSpec) -> StepOutcome: ...
