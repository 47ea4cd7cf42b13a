"""Checks a submitted plan's steps as a whole: keys, dependencies, cycles, executors.

Pure: the caller passes in how to check an executor, so this runs without a database. Every
problem is collected (not just the first) with the JSON path of what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    # Fan-out or pipeline over a list from the step's input (see plans/fanout.py).
    for_each: dict[str, Any] | None = None
    # Where the step came from in the request body, for error paths.
    loc: Loc = ()


# Returns (field, message) for each problem with an executor name ("executor") or its params
# ("params").
ExecutorCheck = Callable[[str, dict[str, Any]], list[tuple[str, str]]]


def check_steps(
    steps: Sequence[StepDraft], *, check_executor: ExecutorCheck, max_steps: int
) -> list[Problem]:
    """Every problem with a list of steps, in request order."""
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


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each dependency cycle once, as the list of its keys, starting from its first key in `graph`.

    Self-loops and edges to unknown keys are ignored (they are reported separately).
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    for root in graph:
        if colour[root] != white:
            continue
        # Iterative depth-first search: plans can be deep enough to overflow Python's stack.
        path: list[str] = [root]
        stack: list[tuple[str, int]] = [(root, 0)]
        colour[root] = grey
        while stack:
            node, next_edge = stack[-1]
            edges = [d for d in graph[node] if d in graph and d != node]
            if next_edge < len(edges):
                stack[-1] = (node, next_edge + 1)
                dep = edges[next_edge]
                if colour[dep] == white:
                    colour[dep] = grey
                    stack.append((dep, 0))
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
    by_key = {s.key: s for s in steps}
    done: set[str] = set()
    ordered: list[StepDraft] = []
    remaining = list(steps)
    while remaining:
        ready = [s for s in remaining if all(d in done for d in s.depends_on)]
        for step in ready:
            done.add(step.key)
            ordered.append(by_key[step.key])
        remaining = [s for s in remaining if s.key not in done]
    return ordered
