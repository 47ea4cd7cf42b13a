"""Example functions for the `python` executor.

A plan can only call a function listed by name in settings.PLANGATE_PYTHON_FUNCTIONS. Each takes
the StepSpec and returns a JSON value, or `executors.protocol.Final(value)` to end its pipeline
item's chain there. A ValueError or TypeError says the params or inputs are unusable: the step
fails as `bad_input` and is not retried. Any other exception fails it as `executor_error`, which
is retried. Functions run in a worker thread; one that takes long should watch `spec.cancelled`.
"""

from __future__ import annotations

import time
from typing import Any, TypeGuard

from executors.protocol import StepSpec

MAX_SLEEP_SECONDS = 60.0


def word_count(spec: StepSpec) -> dict[str, int]:
    """{"words": n} for params.text, or for the step's task when there is no text.

    Raises ValueError when params.text is not a string.
    """
    text = spec.params.get("text", spec.task)
    if not isinstance(text, str):
        raise ValueError(f"word_count: params.text must be a string, not {type(text).__name__}")
    return {"words": len(text.split())}


def sum_numbers(spec: StepSpec) -> dict[str, int | float]:
    """{"sum": total} of params.numbers, a list of numbers.

    Raises ValueError when params.numbers is missing, not a list, or holds a non-number.
    """
    numbers = spec.params.get("numbers")
    if not isinstance(numbers, list):
        raise ValueError("sum_numbers: params.numbers must be a list of numbers")
    for index, number in enumerate(numbers):
        if not _is_number(number):
            raise ValueError(f"sum_numbers: params.numbers[{index}] is not a number: {number!r}")
    return {"sum": sum(numbers)}


def list_items(spec: StepSpec) -> list[Any]:
    """params.items, a list, as the step's result (a stand-in for a search that returns a list).

    Raises ValueError when params.items is missing or not a list.
    """
    items = spec.params.get("items")
    if not isinstance(items, list):
        raise ValueError("list_items: params.items must be a list")
    return items


def sleep(spec: StepSpec) -> dict[str, Any]:
    """Sleeps params.seconds (at most 60), waking early if the plan is cancelled.

    Returns {"slept": seconds, "cancelled": bool}. Raises ValueError when params.seconds is not a
    number between 0 and 60.
    """
    seconds = spec.params.get("seconds")
    if not _is_number(seconds) or not 0 <= seconds <= MAX_SLEEP_SECONDS:
        raise ValueError(
            f"sleep: params.seconds must be a number from 0 to {MAX_SLEEP_SECONDS:g}, "
            f"not {seconds!r}"
        )
    started = time.monotonic()
    if spec.cancelled.wait(seconds):
        return {"slept": round(time.monotonic() - started, 3), "cancelled": True}
    return {"slept": seconds, "cancelled": False}


def _is_number(value: Any) -> TypeGuard[int | float]:
    # bool is an int subclass, but True is not a number a plan author meant.
    return isinstance(value, int | float) and not isinstance(value, bool)
