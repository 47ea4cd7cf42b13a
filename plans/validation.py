"""Checks a submitted plan's steps as a whole: keys, dependencies, cycles, executors.

Pure: the caller passes in how to check an executor, so this runs without a database. Every
problem is collected (not just the first) with the JSON path of what is wrong.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    loc: Loc
    msg: str

    @property
    def path(self) -> str:
        out = ""
        for part in self.loc:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


class PlanInvalid(Exception):
    """A submitted plan has problems; `problems` lists each with its JSON path."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.msg}" for p in problems))
        self.problems = list(problems)


@dataclass
class StepDraft:
    """One step as submitted (or compiled from a delegation tree), before it is saved."""

    key: str
    task: str
    executor: str
    title: str = ""
    hint: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    # None: the executor's default, then the settings'.
    max_attempts: int | None = None
    timeout_seconds: float | None = None
    # Fan-out or pipeline over a list from the step's input (see plans/stages.py).
    for_each: dict[str, Any] | None = None
    # "required": a gate; the step waits for a reviewer's decision once its dependencies are done.
    # Or an object {"group": <approver group>, "count": <approvals needed>}: a gate with a quorum.
    approval: str | dict[str, Any] = "none"
    # Where the step came from in the request body, for error paths.
    loc: Loc = ()
    # "fail" or "ask" when it fails for good (plans/rescue/); None: the plan's default.
    on_failure: str | None = None
    # A gate's deadline, as submitted (seconds or an ISO time), and what happens when it passes
    # (plans/deadlines/); None: the team's defaults.
    decision_deadline: Any = None
    on_timeout: str | None = None
    # Checks on the step's input before it runs and on its result after (plans/guardrails/):
    # {"input": [check, ...], "output": [check, ...], "on_block": "fail" | "ask"}.
    guardrails: dict[str, Any] | None = None
    # A quality gate over the result: {"path": "<field>[.<field>...]", "min": number}.
    quality: dict[str, Any] | None = None
    # What to do by failure class (plans/recovery/): {"<failure class>": {"recipe": ...}}.
    recover: dict[str, Any] | None = None
    # What the step is expected to cost, in the team's currency (plans/budgets/).
    estimated_cost: Any = None
    # The catalog action the step names ("": none) and its inputs: literals or bindings
    # (plans/catalog/, plans/bindings/); executor and params are compiled from them.
    action: str = ""
    inputs: dict[str, Any] | None = None


ON_FAILURE_VALUES = ("fail", "ask")


APPROVAL_VALUES = ("none", "required")
APPROVAL_MESSAGE = "approval must be 'none' or 'required'"
GATE_FIELDS = ("group", "count")
GATE_MAX_COUNT = 100


@dataclass(frozen=True)
class GateSpec:
    """A gate's quorum: `count` approvals from `group` ("": the plan's approvers)."""

    group: str = ""
    count: int = 1


def gate_spec(approval: Any) -> GateSpec | None:
    """The gate a step's `approval` asks for, None for no gate. Assumes it passed
    check_approval."""
    if isinstance(approval, dict):
        return GateSpec(group=approval.get("group") or "", count=approval.get("count") or 1)
    return GateSpec() if approval == "required" else None


def check_approval(approval: Any, at: Loc) -> list[Problem]:
    """Problems with a step's `approval`: "none", "required" or {"group"?, "count"?}."""
    if isinstance(approval, str):
        return [] if approval in APPROVAL_VALUES else [Problem(at, APPROVAL_MESSAGE)]
    if not isinstance(approval, dict):
        return [Problem(at, "approval must be 'none', 'required' or an object {group, count}")]
    problems = [
        Problem((*at, name), f"unknown field; allowed: {', '.join(GATE_FIELDS)}")
        for name in approval
        if name not in GATE_FIELDS
    ]
    group = approval.get("group")
    if "group" in approval and (not isinstance(group, str) or not group.strip()):
        problems.append(Problem((*at, "group"), "must be the name of an approver group"))
    if "count" in approval and not _int_between(approval["count"], 1, GATE_MAX_COUNT):
        problems.append(
            Problem((*at, "count"), f"must be a whole number from 1 to {GATE_MAX_COUNT}")
        )
    return problems


# Returns (field, message) for each problem with an executor name ("executor") or its params
# ("params").
ExecutorCheck = Callable[[str, dict[str, Any]], list[tuple[str, str]]]


def check_steps(
    steps: Sequence[StepDraft],
    *,
    check_executor: ExecutorCheck,
    max_steps: int,
    max_fan_out: int = 1000,
) -> list[Problem]:
    """Every problem with a list of steps, in request order. `max_fan_out` is the most items a
    fan-out step may have (its items' keys must fit)."""
    problems: list[Problem] = []
    if not steps:
        return [Problem(("steps",), "a plan needs at least one step")]
    if len(steps) > max_steps:
        return [
            Problem(
                ("steps",), f"a plan may have at most {max_steps} steps; this one has {len(steps)}"
            )
        ]

    first_at: dict[str, StepDraft] = {}
    for step in steps:
        if not step.key.strip():
            problems.append(Problem((*step.loc, "key"), "key must not be empty"))
        elif step.key in first_at:
            other = Problem(first_at[step.key].loc, "").path
            problems.append(
                Problem((*step.loc, "key"), f"duplicate key {step.key!r} (also at {other})")
            )
        else:
            first_at[step.key] = step
        if not step.task.strip():
            problems.append(Problem((*step.loc, "task"), "task must not be empty"))
        problems.extend(
            Problem((*step.loc, where), msg)
            for where, msg in check_executor(step.executor, step.params)
        )
        for i, dep in enumerate(step.depends_on):
            if dep == step.key:
                problems.append(
                    Problem((*step.loc, "depends_on", i), f"step {dep!r} cannot depend on itself")
                )
        problems.extend(check_approval(step.approval, (*step.loc, "approval")))
        if step.for_each is not None:
            problems.extend(
                check_for_each(step, check_executor=check_executor, max_fan_out=max_fan_out)
            )
        if step.on_failure is not None and step.on_failure not in ON_FAILURE_VALUES:
            problems.append(Problem((*step.loc, "on_failure"), "must be 'fail' or 'ask'"))

    # A fan-out step's items are steps keyed "<key>[<index>]...": no other step may take them.
    fan_out_keys = [s.key for s in steps if s.for_each is not None and s.key]
    for step in steps:
        for key in fan_out_keys:
            if step.key.startswith(f"{key}["):
                problems.append(
                    Problem(
                        (*step.loc, "key"),
                        f"key {step.key!r} is kept for the items of fan-out step {key!r}",
                    )
                )
                break

    for step in steps:
        for i, dep in enumerate(step.depends_on):
            if dep != step.key and dep not in first_at:
                problems.append(
                    Problem(
                        (*step.loc, "depends_on", i),
                        f"depends on {dep!r}, which is not a step of this plan",
                    )
                )

    for cycle in find_cycles({key: s.depends_on for key, s in first_at.items()}):
        where = first_at[cycle[0]].loc
        problems.append(
            Problem((*where, "depends_on"), "dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
        )
    return problems


# --- Fan-out and pipelines ----------------------------------------------------------------------

FAN_OUT_DEFAULT_CONCURRENCY = 4
FAN_OUT_MAX_CONCURRENCY = 100
FAN_OUT_MAX_STAGES = 20
STEP_KEY_MAX_LENGTH = 200
STAGE_NAME = re.compile(r"[a-z0-9_-]{1,50}")
_FOR_EACH_FIELDS = ("over", "max_concurrency", "stages")
_STAGE_FIELDS = ("name", "executor", "params", "task", "timeout_seconds", "max_attempts")


def split_over(over: str, dependencies: Iterable[str]) -> tuple[str, list[str]] | None:
    """The dependency `for_each.over` names and the fields after it ("fetch.data.rows" ->
    ("fetch", ["data", "rows"])), or None if it names none. Keys may hold dots themselves, so the
    longest dependency key that fits wins."""
    found = None
    for dep in dependencies:
        if (over == dep or over.startswith(f"{dep}.")) and (found is None or len(dep) > len(found)):
            found = dep
    if found is None:
        return None
    rest = over[len(found) + 1 :]
    return found, rest.split(".") if rest else []


def check_for_each(
    step: StepDraft, *, check_executor: ExecutorCheck, max_fan_out: int
) -> list[Problem]:
    """Every problem with a step's `for_each`: what it fans out over, how many items run at once,
    and its pipeline stages (each stage's executor and params checked as a step's are)."""
    spec, at = step.for_each, (*step.loc, "for_each")
    if not isinstance(spec, dict):
        return [Problem(at, "must be an object: {over, max_concurrency?, stages?}")]
    problems = [
        Problem((*at, name), f"unknown field; allowed: {', '.join(_FOR_EACH_FIELDS)}")
        for name in spec
        if name not in _FOR_EACH_FIELDS
    ]
    over = spec.get("over")
    deps = ", ".join(dict.fromkeys(step.depends_on)) or "(none)"
    if not isinstance(over, str) or not over:
        problems.append(
            Problem(
                (*at, "over"),
                "is required: the key of one of the step's dependencies, optionally followed by "
                f"a path into its result (dependency.field...); dependencies: {deps}",
            )
        )
    elif (split := split_over(over, step.depends_on)) is None:
        problems.append(Problem((*at, "over"), f"must name one of the step's dependencies: {deps}"))
    elif "" in split[1]:
        problems.append(Problem((*at, "over"), f"{over!r} has an empty field name"))
    if "max_concurrency" in spec and not _int_between(
        spec["max_concurrency"], 1, FAN_OUT_MAX_CONCURRENCY
    ):
        problems.append(
            Problem(
                (*at, "max_concurrency"),
                f"must be a whole number from 1 to {FAN_OUT_MAX_CONCURRENCY}",
            )
        )
    names: list[str] = []
    if "stages" in spec:
        stages = spec["stages"]
        if not isinstance(stages, list) or not 1 <= len(stages) <= FAN_OUT_MAX_STAGES:
            problems.append(
                Problem(
                    (*at, "stages"),
                    f"must be a list of 1 to {FAN_OUT_MAX_STAGES} stage objects",
                )
            )
        else:
            for j, stage in enumerate(stages):
                problems.extend(_check_stage(stage, (*at, "stages", j), names, check_executor))
    # The longest key one of its items will have: "<key>[<last index>].<stage>".
    longest = f"{step.key}[{max_fan_out - 1}]" + (f".{max(names, key=len)}" if names else "")
    if len(longest) > STEP_KEY_MAX_LENGTH:
        problems.append(
            Problem(
                (*step.loc, "key"),
                f"too long for a fan-out step: its items' keys (up to {longest[:40]!r}…) "
                f"would exceed {STEP_KEY_MAX_LENGTH} characters",
            )
        )
    return problems


def _check_stage(
    stage: Any, at: Loc, names: list[str], check_executor: ExecutorCheck
) -> list[Problem]:
    if not isinstance(stage, dict):
        return [Problem(at, "must be an object: {name, executor, params?, task?, ...}")]
    problems = [
        Problem((*at, name), f"unknown field; allowed: {', '.join(_STAGE_FIELDS)}")
        for name in stage
        if name not in _STAGE_FIELDS
    ]
    name = stage.get("name")
    if not isinstance(name, str) or not STAGE_NAME.fullmatch(name):
        problems.append(Problem((*at, "name"), "must be 1 to 50 of a-z, 0-9, '_' and '-'"))
    elif name in names:
        problems.append(Problem((*at, "name"), f"duplicate stage name {name!r}"))
    else:
        names.append(name)
    executor, params = stage.get("executor"), stage.get("params", {})
    if not isinstance(params, dict):
        problems.append(Problem((*at, "params"), "must be an object"))
    if not isinstance(executor, str) or not executor:
        problems.append(Problem((*at, "executor"), "is required: a registered executor's name"))
    elif isinstance(params, dict):
        problems.extend(
            Problem((*at, where), msg) for where, msg in check_executor(executor, params)
        )
    if "task" in stage and not isinstance(stage["task"], str):
        problems.append(Problem((*at, "task"), "must be a string"))
    if "max_attempts" in stage and not _int_between(stage["max_attempts"], 1, 100):
        problems.append(Problem((*at, "max_attempts"), "must be a whole number from 1 to 100"))
    if "timeout_seconds" in stage:
        timeout = stage["timeout_seconds"]
        if not _number(timeout) or not 0 < timeout <= 86400:
            problems.append(
                Problem(
                    (*at, "timeout_seconds"), "must be a number of seconds, above 0, at most 86400"
                )
            )
    return problems


def _number(value: Any) -> bool:
    # bool is an int subclass, but true is not a number a plan author meant.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _int_between(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each dependency cycle once, as the list of its keys, starting from its first key in `graph`.

    Self-loops and edges to unknown keys are ignored (they are reported separately).
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def edges_of(node: str) -> list[str]:
        return [d for d in graph[node] if d in graph and d != node]

    for root in graph:
        if colour[root] != white:
            continue
        # Iterative depth-first search: plans can be deep enough to overflow Python's stack. Each
        # frame keeps its node's edges, so a step with many dependencies is filtered once.
        path: list[str] = [root]
        stack: list[tuple[str, list[str], int]] = [(root, edges_of(root), 0)]
        colour[root] = grey
        while stack:
            node, edges, next_edge = stack[-1]
            if next_edge < len(edges):
                stack[-1] = (node, edges, next_edge + 1)
                dep = edges[next_edge]
                if colour[dep] == white:
                    colour[dep] = grey
                    stack.append((dep, edges_of(dep), 0))
                    path.append(dep)
                elif colour[dep] == grey:
                    cycle = path[path.index(dep) :]
                    if frozenset(cycle) not in seen:
                        seen.add(frozenset(cycle))
                        cycles.append(cycle)
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return cycles


def topological_order(steps: Sequence[StepDraft]) -> list[StepDraft]:
    """The steps with every dependency before its dependents, otherwise in submission order.

    Assumes `check_steps` found no problems.
    """
    # A step's round is one more than its latest dependency's; steps without dependencies are
    # round 0. Sorting by round (stably, so submission order breaks ties) gives the same order
    # as taking every ready step round by round, in time linear in steps and dependencies.
    dependents: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for step in steps:
        deps = set(step.depends_on)
        waiting[step.key] = len(deps)
        for dep in deps:
            dependents.setdefault(dep, []).append(step.key)
    rounds = dict.fromkeys(waiting, 0)
    ready = deque(key for key, count in waiting.items() if count == 0)
    while ready:
        key = ready.popleft()
        for child in dependents.get(key, ()):
            rounds[child] = max(rounds[child], rounds[key] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return sorted(steps, key=lambda s: rounds[s.key])
