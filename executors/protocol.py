"""The seam between what a plan asks to run and how it runs.

An executor receives a `StepSpec` and returns a `StepOutcome`. It never touches the database: the
worker records the outcome. `run` may be a plain method (the worker calls it in a thread) or an
`async def` (the worker awaits it on its event loop). An executor that raises is treated as an
`unknown` failure with the exception's text as the message.

Failures carry a `FailureClass`. The worker retries the retryable classes with exponential
backoff (honouring `retry_after` when an executor knows better, as for a 429), up to the step's
or the executor's `max_attempts`, and fails the step at once for the others.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, runtime_checkable

from django.db import models


class ExecutorError(Exception):
    """Base class for executor problems."""


class UnknownExecutor(ExecutorError):
    """A plan or a setting names an executor that is not registered."""


class FailureClass(models.TextChoices):
    """Why a step attempt failed; decides whether it is retried."""

    TIMEOUT = "timeout", "Timed out"
    RATE_LIMITED = "rate_limited", "Rate limited"
    EXECUTOR_ERROR = "executor_error", "Executor error"
    BAD_INPUT = "bad_input", "Bad input"
    DEPENDENCY_FAILED = "dependency_failed", "Dependency failed"
    CANCELLED = "cancelled", "Cancelled"
    UNKNOWN = "unknown", "Unknown error"
    # Not an executor's verdict: the worker running the step died this many times (see
    # PLANGATE_POISON_AFTER), so the step is failed rather than handed to yet another worker.
    POISON = "poison", "Killed its worker"
    # A guardrail blocked the step's input or its result (plans/guardrails/); never retried.
    GUARDRAIL = "guardrail", "Blocked by a guardrail"
    # The executor said its input was too large for the model it calls; a plain retry would
    # fail the same way, an `adjust` recovery recipe (plans/recovery/) may not.
    CONTEXT_OVERFLOW = "context_overflow", "Input too large for the model"


# A retry may fix these; bad input, a failed dependency or a cancel stay as they are.
RETRYABLE = frozenset(
    {
        FailureClass.TIMEOUT,
        FailureClass.RATE_LIMITED,
        FailureClass.EXECUTOR_ERROR,
        FailureClass.UNKNOWN,
    }
)
# These count towards opening an executor's circuit breaker: they say the executor (or what it
# calls) is unwell, not that one step was wrong.
BREAKER_COUNTED = frozenset(
    {FailureClass.TIMEOUT, FailureClass.RATE_LIMITED, FailureClass.EXECUTOR_ERROR}
)


@dataclass(frozen=True)
class StepSpec:
    """Everything an executor may know about the step it runs."""

    plan_id: str
    step_key: str
    task: str
    hint: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    # Results of the step's dependencies, by step key. A skipped dependency is absent. A fan-out
    # or pipeline item gets {"item": value, "index": i} instead.
    inputs: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1
    # Seconds the worker gives this attempt before abandoning it as timed out.
    timeout: float | None = None
    # Set by the worker when the step must stop (the plan was cancelled, the step timed out or
    # its lease was lost); long-running sync executors should check it and return early. Async
    # executors are cancelled instead.
    cancelled: threading.Event = field(default_factory=threading.Event, compare=False)
    # Headers that carry the attempt's trace context to what the executor calls (W3C
    # `traceparent`), filled by the worker when tracing is on; empty otherwise. Not part of
    # as_json(): the http executor sends them as headers.
    trace_headers: dict[str, str] = field(default_factory=dict)

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


USAGE_FIELDS = ("model", "input_tokens", "output_tokens", "units", "cost")


@dataclass(frozen=True)
class Usage:
    """What an attempt consumed, as its executor reports it: the model it called, tokens in and
    out, other units by name (e.g. {"searches": 3}) and, when the executor knows it, the cost.
    Without a cost, the pricing table turns the model's tokens into one (plans/budgets/)."""

    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    units: dict[str, float] = field(default_factory=dict)
    cost: Decimal | None = None

    @classmethod
    def from_json(cls, data: Any) -> Usage:
        """A usage object as an executor or a service sends it, e.g. the `usage` of an http
        step's response. Raises ValueError naming the field that is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError(f"usage must be an object, not {json_type(data)}")
        unknown = sorted(set(data) - set(USAGE_FIELDS))
        if unknown:
            raise ValueError(f"usage has unknown fields {unknown}; allowed: {list(USAGE_FIELDS)}")
        model = data.get("model") or ""
        if not isinstance(model, str):
            raise ValueError(f"usage.model must be a string, not {json_type(model)}")
        tokens = {}
        for name in ("input_tokens", "output_tokens"):
            value = data.get(name) or 0
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"usage.{name} must be a whole number of at least 0")
            tokens[name] = value
        units = data.get("units") or {}
        if not isinstance(units, Mapping) or not all(
            isinstance(k, str) and _is_amount(v) for k, v in units.items()
        ):
            raise ValueError("usage.units must map names to numbers of at least 0")
        cost = data.get("cost")
        if cost is not None and not _is_amount(cost):
            raise ValueError("usage.cost must be a number of at least 0")
        return cls(
            model=model,
            units={k: float(v) for k, v in units.items()},
            cost=None if cost is None else Decimal(str(cost)),
            **tokens,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "units": dict(self.units),
            "cost": None if self.cost is None else str(self.cost),
        }


def _is_amount(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return False
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return False
    return amount.is_finite() and amount >= 0


@dataclass(frozen=True)
class StepOutcome:
    """What running a step came to: ok with a JSON result, or an error with its class."""

    ok: bool
    result: Any = None
    error: str = ""
    failure_class: str = ""
    # Seconds to wait before retrying, when the executor was told (a Retry-After header).
    retry_after: float | None = None
    # For a pipeline stage: end this item's chain here, with this result.
    final: bool = False
    # What the attempt consumed, if the executor knows (a failed attempt may have cost too).
    usage: Usage | None = None
    # Something the worker should record with the outcome without failing the step (a usage
    # report it could not read).
    warning: str = ""

    @classmethod
    def success(
        cls, result: Any, *, final: bool = False, usage: Usage | None = None, warning: str = ""
    ) -> StepOutcome:
        return cls(ok=True, result=result, final=final, usage=usage, warning=warning)

    @classmethod
    def failure(
        cls,
        message: str,
        failure_class: str = FailureClass.EXECUTOR_ERROR,
        *,
        retry_after: float | None = None,
        usage: Usage | None = None,
    ) -> StepOutcome:
        return cls(
            ok=False,
            error=message,
            failure_class=FailureClass(failure_class),
            retry_after=retry_after,
            usage=usage,
        )

    @property
    def retryable(self) -> bool:
        return not self.ok and self.failure_class in RETRYABLE


@dataclass(frozen=True)
class Final:
    """A result that ends a pipeline item's chain here.

    Code an executor calls on a plan's behalf (a python-executor function) returns
    `Final(value)` instead of `value`; the executor turns it into
    `StepOutcome.success(value, final=True)`.
    """

    value: Any


def json_type(value: Any) -> str:
    """The JSON name of a value's type, with an article, for error messages: "a list", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


@runtime_checkable
class Executor(Protocol):
    """Runs one step.

    `validate_params` is called when a plan is submitted and returns one message per problem with
    the step's params (empty when they are fine), so bad plans are refused before anyone reviews
    them. `run` does the work, as a plain or an `async def` method; it returns an outcome rather
    than raising for expected failures.

    An executor may also set `timeout_seconds` and `max_attempts` (class attributes) as the
    defaults for its steps; settings.PLANGATE_STEP_TIMEOUT_SECONDS and
    PLANGATE_STEP_MAX_ATTEMPTS apply otherwise. A step's own values win over both.
    """

    def validate_params(self, params: dict[str, Any]) -> list[str]: ...

    def run(self, spec: StepSpec) -> StepOutcome | Awaitable[StepOutcome]: ...
