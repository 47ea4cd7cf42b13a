"""Set operators on two JSON lists, and the `combine` executor that applies them to step results.

Every operator keeps the order of the left operand, then the right, and drops duplicates. Items
may be any JSON value, including objects and lists, so two items are equal when their canonical
JSON (keys sorted) is equal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any

from executors.protocol import FailureClass, StepOutcome, StepSpec, json_type

OPERATORS = ("UNION", "INTERSECT", "MINUS", "RMINUS", "COLOCATE")

Interval = tuple[float, float]


class CombineError(ValueError):
    """The operator, an operand or the distance is not usable.

    `side` is "left" or "right" when the problem is in one operand (the message then starts with
    "<side> operand"), else None; `detail` is the message without that prefix, so a caller can
    name the operand its own way.
    """

    def __init__(self, detail: str, *, side: str | None = None) -> None:
        self.side = side
        self.detail = detail
        super().__init__(f"{side} operand {detail}" if side else detail)


def combine(operator: str, left: Any, right: Any, *, distance: float = 0) -> list[Any]:
    """Apply `operator` (one of OPERATORS) to the lists `left` and `right`.

    UNION: items in either. INTERSECT: left items also in right. MINUS: left items not in right.
    RMINUS: right items not in left. COLOCATE: left items {group, start, end} with some right item
    of the same group whose interval lies within `distance` of theirs (overlapping counts as 0).
    `distance` is only read by COLOCATE.

    Raises CombineError for an unknown operator, an operand that is not a list, and, for
    COLOCATE, an item that is not {group, start, end} with numeric start <= end, or a distance
    that is not a non-negative number.
    """
    if not isinstance(operator, str) or operator not in _OPERATIONS:
        raise CombineError(f"unknown operator {operator!r}; expected one of {', '.join(OPERATORS)}")
    _require_list(left, "left")
    _require_list(right, "right")
    if operator == "COLOCATE":
        return colocate(left, right, distance=distance)
    return _OPERATIONS[operator](left, right)


def union(left: list[Any], right: list[Any]) -> list[Any]:
    """Items in either list."""
    return _unique([*left, *right])


def intersect(left: list[Any], right: list[Any]) -> list[Any]:
    """Left items that are also in right."""
    in_right = {_key(item) for item in right}
    return _unique(item for item in left if _key(item) in in_right)


def minus(left: list[Any], right: list[Any]) -> list[Any]:
    """Left items that are not in right."""
    in_right = {_key(item) for item in right}
    return _unique(item for item in left if _key(item) not in in_right)


def rminus(left: list[Any], right: list[Any]) -> list[Any]:
    """Right items that are not in left."""
    return minus(right, left)


def colocate(left: list[Any], right: list[Any], *, distance: float = 0) -> list[Any]:
    """Left items with a right item of the same group within `distance` of their interval.

    Raises CombineError for a malformed item (naming the side and index) or a bad distance.
    """
    if isinstance(distance, bool) or not isinstance(distance, int | float) or math.isnan(distance):
        raise CombineError(f"distance must be a non-negative number, not {json_type(distance)}")
    if distance < 0:
        raise CombineError(f"distance must be a non-negative number, not {distance!r}")
    left_intervals = [_interval(item, "left", index) for index, item in enumerate(left)]
    by_group: dict[str, list[Interval]] = {}
    for index, item in enumerate(right):
        group, interval = _interval(item, "right", index)
        by_group.setdefault(group, []).append(interval)
    return _unique(
        item
        for item, (group, interval) in zip(left, left_intervals, strict=True)
        if any(_gap(interval, other) <= distance for other in by_group.get(group, ()))
    )


_OPERATIONS: dict[str, Callable[[list[Any], list[Any]], list[Any]]] = {
    "UNION": union,
    "INTERSECT": intersect,
    "MINUS": minus,
    "RMINUS": rminus,
    "COLOCATE": colocate,
}


class CombineExecutor:
    """Combines the results of two dependencies with one of OPERATORS.

    Params: {"operator": ..., "left": <step key>, "right": <step key>}. The operands are the
    inputs under those keys; a missing input (the dependency was skipped) is an empty list.
    COLOCATE reads its distance from the plan context (`context.distance`, default 0).

    `run` is `async def`: it is pure and fast, so the worker runs it on its event loop without a
    thread. Its only failure class is `bad_input`: unusable params, an operand that is not a
    list, a malformed COLOCATE item or distance. Running it again would give the same answer.
    """

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        """One message per problem: a missing or unknown operator, a missing or non-string side."""
        problems = []
        operator = params.get("operator")
        if operator is None:
            problems.append(f"operator is required; one of {', '.join(OPERATORS)}")
        elif operator not in OPERATORS:
            problems.append(
                f"unknown operator {operator!r}; expected one of {', '.join(OPERATORS)}"
            )
        for side in ("left", "right"):
            value = params.get(side)
            if value is None:
                problems.append(f"{side} is required: the key of the step whose result to use")
            elif not isinstance(value, str):
                problems.append(f"{side} must be a step key (a string), not {json_type(value)}")
        return problems

    async def run(self, spec: StepSpec) -> StepOutcome:
        """Success with the combined list; a `bad_input` failure for unusable params or data."""
        problems = self.validate_params(spec.params)
        if problems:
            return StepOutcome.failure("combine: " + "; ".join(problems), FailureClass.BAD_INPUT)
        operator = spec.params["operator"]
        keys = {"left": spec.params["left"], "right": spec.params["right"]}
        try:
            result = combine(
                operator,
                spec.inputs.get(keys["left"], []),
                spec.inputs.get(keys["right"], []),
                distance=spec.context.get("distance", 0),
            )
        except CombineError as error:
            message = error.detail
            if error.side:
                message = f"{error.side} operand (step {keys[error.side]!r}) {error.detail}"
            return StepOutcome.failure(f"combine {operator}: {message}", FailureClass.BAD_INPUT)
        return StepOutcome.success(result)


def _require_list(operand: Any, side: str) -> None:
    if not isinstance(operand, list):
        raise CombineError(f"is {json_type(operand)}, not a list", side=side)


def _interval(item: Any, side: str, index: int) -> tuple[str, Interval]:
    """The item's group (as canonical JSON) and [start, end]; CombineError if malformed."""
    where = f"item {index}"
    if not isinstance(item, dict):
        raise CombineError(
            f"{where} is {json_type(item)}, not an object with group, start and end", side=side
        )
    missing = [name for name in ("group", "start", "end") if name not in item]
    if missing:
        raise CombineError(f"{where} is missing {', '.join(missing)}", side=side)
    bounds = []
    for name in ("start", "end"):
        value = item[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise CombineError(f"{where} has a non-numeric {name}: {value!r}", side=side)
        bounds.append(float(value))
    start, end = bounds
    if start > end:
        raise CombineError(
            f"{where} has start {item['start']!r} after end {item['end']!r}", side=side
        )
    return _key(item["group"]), (start, end)


def _gap(a: Interval, b: Interval) -> float:
    """Distance between two intervals; 0 when they touch or overlap."""
    return max(0.0, max(a[0], b[0]) - min(a[1], b[1]))


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    result = []
    for item in items:
        key = _key(item)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result
