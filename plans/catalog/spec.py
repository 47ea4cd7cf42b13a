"""An action as the catalog holds it, and the checks of its definition. Pure: the caller passes
in how to check an executor name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from plans.validation import Loc, Problem

ACTION_FIELDS = (
    "name",
    "description",
    "executor",
    "input_schema",
    "output_schema",
    "params",
    "timeout_seconds",
    "max_attempts",
    "guardrails",
    "estimated_cost",
)
NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class ActionSpec:
    """A named call of an executor: what it takes (`input_schema`, an object schema), what it
    gives (`output_schema`, optional), its default params and the defaults of the steps that
    name it."""

    name: str
    executor: str
    input_schema: dict[str, Any]
    description: str = ""
    output_schema: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    timeout_seconds: float | None = None
    max_attempts: int | None = None
    guardrails: dict[str, Any] | None = None
    estimated_cost: float | None = None
    # "settings" or "team": where the definition comes from.
    source: str = "settings"

    def property_schema(self, name: str) -> dict[str, Any] | None:
        """The schema of input `name`; {} when the action takes inputs it does not describe;
        None for an input it does not take."""
        properties = self.input_schema.get("properties") or {}
        if name in properties:
            found = properties[name]
            return found if isinstance(found, dict) else {}
        extra = self.input_schema.get("additionalProperties", False)
        if extra is False:
            return None
        return extra if isinstance(extra, dict) else {}

    @property
    def required(self) -> list[str]:
        return list(self.input_schema.get("required") or [])

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "executor": self.executor,
            "input_schema": self.input_schema,
            "output_schema": self.output_schema,
            "params": self.params,
            "timeout_seconds": self.timeout_seconds,
            "max_attempts": self.max_attempts,
            "guardrails": self.guardrails,
            "estimated_cost": self.estimated_cost,
        }


# Returns (field, message) for each problem with an executor name and its params.
ExecutorCheck = Callable[[str, dict[str, Any]], list[tuple[str, str]]]


def schema_problems(schema: Any, at: Loc, *, object_only: bool) -> list[Problem]:
    """Problems with a JSON Schema: not an object, not a valid schema, or (object_only) not the
    schema of an object."""
    if not isinstance(schema, dict):
        return [Problem(at, "must be a JSON Schema (an object)")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = ".".join(str(p) for p in error.absolute_path)
        return [
            Problem(
                at,
                f"is not a valid JSON Schema: {error.message}" + (f" at {where}" if where else ""),
            )
        ]
    if object_only and schema.get("type") != "object":
        return [Problem(at, 'must describe an object: {"type": "object", "properties": {...}}')]
    return []


def action_problems(raw: Any, at: Loc, *, check_executor: ExecutorCheck) -> list[Problem]:
    """Every problem with one action's definition, each with its path under `at`."""
    if not isinstance(raw, dict):
        return [Problem(at, "must be an object: {name, executor, input_schema, ...}")]
    problems = [
        Problem((*at, name), f"unknown field; allowed: {', '.join(ACTION_FIELDS)}")
        for name in raw
        if name not in ACTION_FIELDS
    ]
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX_LENGTH:
        problems.append(
            Problem((*at, "name"), f"must be a name of 1 to {NAME_MAX_LENGTH} characters")
        )
    if not isinstance(raw.get("description", ""), str):
        problems.append(Problem((*at, "description"), "must be a string"))
    params = raw.get("params", {})
    if not isinstance(params, dict):
        problems.append(Problem((*at, "params"), "must be an object"))
        params = {}
    executor = raw.get("executor")
    if not isinstance(executor, str) or not executor:
        problems.append(Problem((*at, "executor"), "is required: a registered executor's name"))
    else:
        found = check_executor(executor, params)
        # An action's default params may leave out what its inputs supply: only the executor's
        # name is checked here, its params with each step that names the action.
        problems.extend(Problem((*at, where), msg) for where, msg in found if where == "executor")
    if "input_schema" not in raw:
        problems.append(Problem((*at, "input_schema"), "is required: a JSON Schema of an object"))
    else:
        problems.extend(
            schema_problems(raw["input_schema"], (*at, "input_schema"), object_only=True)
        )
    if raw.get("output_schema") is not None:
        problems.extend(
            schema_problems(raw["output_schema"], (*at, "output_schema"), object_only=False)
        )
    timeout = raw.get("timeout_seconds")
    if timeout is not None and (not _number(timeout) or not 0 < timeout <= 86400):
        problems.append(
            Problem((*at, "timeout_seconds"), "must be a number of seconds, above 0, at most 86400")
        )
    attempts = raw.get("max_attempts")
    if attempts is not None and (
        not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 100
    ):
        problems.append(Problem((*at, "max_attempts"), "must be a whole number from 1 to 100"))
    if raw.get("guardrails") is not None and not isinstance(raw["guardrails"], dict):
        problems.append(
            Problem((*at, "guardrails"), "must be an object: {input, output, on_block}")
        )
    cost = raw.get("estimated_cost")
    if cost is not None and (not _number(cost) or not 0 <= cost <= 1e9):
        problems.append(Problem((*at, "estimated_cost"), "must be a number from 0 to 1e9"))
    return problems


def parse_actions(
    raw: Iterable[Any], at: Loc, *, check_executor: ExecutorCheck, source: str = "settings"
) -> tuple[dict[str, ActionSpec], list[Problem]]:
    """The actions of a list of definitions by name, and every problem (duplicate names too).
    An action with problems is left out."""
    actions: dict[str, ActionSpec] = {}
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, item in enumerate(raw):
        found = action_problems(item, (*at, i), check_executor=check_executor)
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and name in first:
            found.append(
                Problem(
                    (*at, i, "name"),
                    f"duplicate action {name!r} (also at {at[-1] if at else ''}[{first[name]}])",
                )
            )
        elif isinstance(name, str):
            first[name] = i
        problems.extend(found)
        if not found and isinstance(item, dict):
            actions[item["name"]] = action_from(item, source=source)
    return actions, problems


def action_from(raw: Mapping[str, Any], *, source: str) -> ActionSpec:
    """An ActionSpec of a definition that passed action_problems."""
    cost = raw.get("estimated_cost")
    timeout = raw.get("timeout_seconds")
    return ActionSpec(
        name=raw["name"],
        description=raw.get("description") or "",
        executor=raw["executor"],
        input_schema=raw["input_schema"],
        output_schema=raw.get("output_schema"),
        params=dict(raw.get("params") or {}),
        timeout_seconds=None if timeout is None else float(timeout),
        max_attempts=raw.get("max_attempts"),
        guardrails=raw.get("guardrails"),
        estimated_cost=None if cost is None else float(cost),
        source=source,
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
