"""Run-time resolution: an action step's `$from` inputs take their values from its
dependencies' results, and every input is checked against the action's input schema before the
executor runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plans.bindings.flow import FROM, INPUT, parse_binding, split_ref, value_problems
from plans.catalog.spec import ActionSpec


def resolve(
    *,
    params: Mapping[str, Any],
    inputs: Mapping[str, Any],
    results: Mapping[str, Any],
    action: ActionSpec | None,
) -> tuple[dict[str, Any], list[str]]:
    """The params with each bound input replaced by its value, and the problems (a `$from`
    whose step passed nothing or whose path is not in the result, an unsupplied `$input`, a
    value that does not fit its schema), each naming the input. `results` are the completed
    dependencies' results by key."""
    resolved = dict(params)
    problems: list[str] = []
    for name, value in inputs.items():
        binding, _ = parse_binding(value)
        if binding is None:
            continue
        if binding.kind == INPUT:
            if parse_binding(resolved.get(name))[0] is not None:
                problems.append(f"input {name!r}: plan input {binding.ref!r} was not supplied")
            continue
        split = split_ref(binding.ref, results)
        if split is None:
            problems.append(
                f"input {name!r}: {binding.ref!r} reads a step that passed no result "
                "(it was skipped or did not complete)"
            )
            continue
        key, path = split
        found, missing = _walk(results[key], path)
        if missing is not None:
            problems.append(
                f"input {name!r}: {binding.ref!r} is not in the result of {key!r} ({missing})"
            )
            continue
        resolved[name] = found
    if action is not None and not problems:
        for name in dict.fromkeys([*inputs, *action.required]):
            if name not in resolved:
                problems.append(f"input {name!r}: required by {action.name!r}, not given")
                continue
            schema = action.property_schema(name)
            for problem in value_problems(schema or {}, resolved[name], (name,)):
                problems.append(f"input {problem.path!r}: {problem.msg}")
    return resolved, problems


def _walk(value: Any, path: list[str]) -> tuple[Any, str | None]:
    for i, name in enumerate(path):
        where = ".".join(path[:i]) or "the result"
        if isinstance(value, dict):
            if name not in value:
                return None, f"{where} has no field {name!r}"
            value = value[name]
        elif isinstance(value, list):
            if not name.isdigit() or int(name) >= len(value):
                return None, f"{where} has no item {name!r}"
            value = value[int(name)]
        else:
            return None, f"{where} is not an object or a list"
    return value, None


__all__ = ["FROM", "resolve"]
