"""The flow validator: what each input of an action step is bound to, and whether it fits.

An input's value is a literal, `{"$from": "<step key>.result[.<field>...]"}` (an earlier step's
result, or a field of it: the step then depends on that one) or `{"$input": "<name>"}` (a plan
input, supplied with the plan or later). Every problem is listed with its JSON path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from plans.catalog.spec import ActionSpec
from plans.validation import Loc, Problem, StepDraft

FROM, INPUT = "$from", "$input"
RESULT = "result"


@dataclass(frozen=True)
class Binding:
    kind: str  # FROM or INPUT
    ref: str


def parse_binding(value: Any) -> tuple[Binding | None, str | None]:
    """(the binding, None) for a binding, (None, None) for a literal, (None, message) for an
    object that means to be a binding but is malformed."""
    if not isinstance(value, dict) or not ({FROM, INPUT} & value.keys()):
        return None, None
    if len(value) != 1:
        return None, 'a binding is an object with one key: "$from" or "$input"'
    kind, ref = next(iter(value.items()))
    if not isinstance(ref, str) or not ref.strip():
        what = "<step key>.result[.<field>...]" if kind == FROM else "the name of a plan input"
        return None, f"{kind} must be a string: {what}"
    return Binding(kind, ref), None


def has_bindings(params: Mapping[str, Any]) -> bool:
    """Whether a step's params still hold a `$from` or `$input` binding at the top."""
    return any(parse_binding(v)[0] is not None for v in params.values())


def split_ref(ref: str, keys: Iterable[str]) -> tuple[str, list[str]] | None:
    """The step key a `$from` reads and the fields after `.result` ("fetch.result.rows" ->
    ("fetch", ["rows"])), or None if it names no step of `keys`. Keys may hold dots, so the
    longest key that fits wins."""
    found = None
    for key in keys:
        head = f"{key}.{RESULT}"
        if (ref == head or ref.startswith(f"{head}.")) and (found is None or len(key) > len(found)):
            found = key
    if found is None:
        return None
    rest = ref[len(found) + len(RESULT) + 2 :]
    return found, rest.split(".") if rest else []


def value_problems(schema: Mapping[str, Any], value: Any, at: Loc) -> list[Problem]:
    """Every way `value` does not fit `schema`, each at its path under `at`."""
    validator = Draft202012Validator(dict(schema))
    return [
        Problem((*at, *error.absolute_path), error.message)
        for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path)))
    ]


def path_problem(schema: Mapping[str, Any] | None, path: Sequence[str]) -> str | None:
    """Why `path` cannot be in a result described by `schema`, or None if it fits (or the
    schema does not say)."""
    here: Any = schema
    walked: list[str] = []
    for name in path:
        if not isinstance(here, dict) or not here:
            return None
        kind = here.get("type")
        if kind == "array" or (kind is None and "items" in here):
            if not name.isdigit():
                return f"{'.'.join(walked) or 'the result'} is a list: {name!r} must be an index"
            here = here.get("items")
        elif kind == "object" or (kind is None and "properties" in here):
            properties = here.get("properties") or {}
            if name in properties:
                here = properties[name]
            elif here.get("additionalProperties", True) is False:
                where = ".".join(walked) or "the result"
                return f"{where} has no field {name!r}; fields: {', '.join(properties) or '(none)'}"
            else:
                extra = here.get("additionalProperties")
                here = extra if isinstance(extra, dict) else None
        elif kind is not None:
            return f"{'.'.join(walked) or 'the result'} is a {kind}: it has no field {name!r}"
        walked.append(name)
    return None


@dataclass
class Flow:
    """What the validator found: the problems, the steps each step reads (implied
    dependencies) and the plan inputs each step needs."""

    problems: list[Problem] = field(default_factory=list)
    reads: dict[str, list[str]] = field(default_factory=dict)
    needs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key -> (input, name)


def check_flow(steps: Sequence[StepDraft], actions: Mapping[str, ActionSpec]) -> Flow:
    """Every problem with the action steps of a plan: unknown actions, unknown or unbound
    required inputs, literals that do not fit the input schema, `$from` bindings to no step,
    to the step itself or to a step downstream of it, and paths the producing action's output
    schema does not have."""
    flow = Flow()
    keys = [s.key for s in steps]
    by_key = {s.key: s for s in steps}
    for step in steps:
        if not step.action:
            if step.inputs:
                flow.problems.append(
                    Problem((*step.loc, "inputs"), "inputs are for a step that names an action")
                )
            continue
        action = actions.get(step.action)
        if action is None:
            known = ", ".join(sorted(actions)) or "none"
            flow.problems.append(
                Problem((*step.loc, "action"), f"unknown action {step.action!r}; known: {known}")
            )
            continue
        inputs = step.inputs or {}
        at = (*step.loc, "inputs")
        for name, value in inputs.items():
            schema = action.property_schema(name)
            if schema is None:
                allowed = ", ".join(action.input_schema.get("properties") or {}) or "(none)"
                flow.problems.append(
                    Problem((*at, name), f"unknown input of {action.name!r}; inputs: {allowed}")
                )
                continue
            binding, malformed = parse_binding(value)
            if malformed:
                flow.problems.append(Problem((*at, name), malformed))
            elif binding is None:
                flow.problems.extend(value_problems(schema, value, (*at, name)))
            elif binding.kind == INPUT:
                flow.needs.setdefault(step.key, []).append((name, binding.ref))
            else:
                flow.problems.extend(
                    _from_problems(step, name, binding.ref, keys, by_key, actions, flow)
                )
        for name in action.required:
            if name not in inputs and name not in action.params and name not in step.params:
                flow.problems.append(
                    Problem((*at, name), f"required input of {action.name!r} is not bound")
                )
    flow.problems.extend(_downstream_problems(steps, flow))
    return flow


def _from_problems(
    step: StepDraft,
    name: str,
    ref: str,
    keys: list[str],
    by_key: Mapping[str, StepDraft],
    actions: Mapping[str, ActionSpec],
    flow: Flow,
) -> list[Problem]:
    at = (*step.loc, "inputs", name)
    split = split_ref(ref, keys)
    if split is None:
        return [
            Problem(
                at,
                f"{ref!r} names no step of this plan; a $from reads "
                "'<step key>.result[.<field>...]'",
            )
        ]
    key, path = split
    if key == step.key:
        return [Problem(at, f"step {key!r} cannot read its own result")]
    if "" in path:
        return [Problem(at, f"{ref!r} has an empty field name")]
    flow.reads.setdefault(step.key, []).append(key)
    producer = actions.get(by_key[key].action) if by_key[key].action else None
    if producer is None:
        return []
    if why := path_problem(producer.output_schema, path):
        return [Problem(at, f"{ref!r} does not fit the output of {producer.name!r}: {why}")]
    consumer = actions[step.action]
    given, wanted = (
        _types(schema_at(producer.output_schema, path)),
        _types(consumer.property_schema(name)),
    )
    if given and wanted and not (given & wanted or ("integer" in given and "number" in wanted)):
        return [
            Problem(
                at,
                f"{ref!r} is {' or '.join(sorted(given))} in the output of {producer.name!r}; "
                f"input {name!r} of {consumer.name!r} takes {' or '.join(sorted(wanted))}",
            )
        ]
    return []


def schema_at(schema: Mapping[str, Any] | None, path: Sequence[str]) -> Mapping[str, Any] | None:
    """The part of `schema` that describes `path` in a value, or None where it does not say.
    Assumes path_problem found nothing."""
    here: Any = schema
    for name in path:
        if not isinstance(here, dict):
            return None
        if "items" in here and name.isdigit():
            here = here["items"]
        else:
            properties = here.get("properties") or {}
            extra = here.get("additionalProperties")
            here = properties.get(name, extra if isinstance(extra, dict) else None)
    return here if isinstance(here, dict) else None


def _types(schema: Mapping[str, Any] | None) -> set[str]:
    kind = schema.get("type") if schema else None
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _downstream_problems(steps: Sequence[StepDraft], flow: Flow) -> list[Problem]:
    """A `$from` of a step that runs after this one (it depends on it, perhaps through others,
    once the implied dependencies are added) would be a cycle."""
    graph = {s.key: [*s.depends_on, *flow.reads.get(s.key, [])] for s in steps}
    problems = []
    for step in steps:
        for name, value in (step.inputs or {}).items():
            binding, _ = parse_binding(value)
            if binding is None or binding.kind != FROM:
                continue
            split = split_ref(binding.ref, graph)
            if split is None or split[0] == step.key:
                continue
            if _reaches(graph, split[0], step.key):
                problems.append(
                    Problem(
                        (*step.loc, "inputs", name),
                        f"step {split[0]!r} runs after this one (it depends on {step.key!r}): "
                        "reading its result would be a dependency cycle",
                    )
                )
    return problems


def _reaches(graph: Mapping[str, list[str]], start: str, goal: str) -> bool:
    seen, stack = {start}, [start]
    while stack:
        for dep in graph.get(stack.pop(), []):
            if dep == goal:
                return True
            if dep not in seen and dep in graph:
                seen.add(dep)
                stack.append(dep)
    return False


@dataclass(frozen=True)
class MissingInput:
    """A plan input a step needs that was not supplied."""

    name: str
    schema: dict[str, Any]
    steps: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "value_schema": self.schema, "steps": self.steps}


@dataclass(frozen=True)
class InputUse:
    """A step's binding of one of its action's inputs to plan input `name`."""

    step: str
    action: ActionSpec | None
    input: str
    name: str


def input_uses(
    steps: Iterable[tuple[str, ActionSpec | None, Mapping[str, Any] | None]],
) -> list[InputUse]:
    """Every `$input` binding of the steps given as (key, action, inputs), each step's in the
    order of its action's input schema (PostgreSQL keeps JSON objects in an order of its own)."""
    uses = []
    for key, action, inputs in steps:
        order = list((action.input_schema.get("properties") or {}) if action else [])
        ranked = sorted(
            (inputs or {}).items(),
            key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]),
        )
        for input_name, value in ranked:
            binding, _ = parse_binding(value)
            if binding is not None and binding.kind == INPUT:
                uses.append(InputUse(key, action, input_name, binding.ref))
    return uses


def input_schemas(uses: Iterable[InputUse]) -> dict[str, dict[str, Any]]:
    """Each plan input's schema: the property schema of the first action input bound to it."""
    found: dict[str, dict[str, Any]] = {}
    for use in uses:
        if use.name not in found:
            found[use.name] = (use.action.property_schema(use.input) if use.action else None) or {}
    return found


def missing_inputs(uses: Sequence[InputUse], supplied: Mapping[str, Any]) -> list[MissingInput]:
    """The plan inputs the steps bind that `supplied` lacks, in order of first use."""
    schemas = input_schemas(uses)
    steps: dict[str, list[str]] = {}
    for use in uses:
        if use.name not in supplied:
            steps.setdefault(use.name, [])
            if use.step not in steps[use.name]:
                steps[use.name].append(use.step)
    return [
        MissingInput(name=name, schema=schemas[name], steps=keys) for name, keys in steps.items()
    ]


def supplied_problems(
    uses: Sequence[InputUse], values: Mapping[str, Any], at: Loc
) -> list[Problem]:
    """Problems with plan input values: one no step uses, or one that does not fit its
    schema; each at `at` + its name."""
    schemas = input_schemas(uses)
    problems = []
    for name, value in values.items():
        if name not in schemas:
            used = ", ".join(schemas) or "(none)"
            problems.append(Problem((*at, name), f"no step uses this input; inputs: {used}"))
        else:
            problems.extend(value_problems(schemas[name], value, (*at, name)))
    return problems
