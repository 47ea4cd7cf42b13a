"""Compiles a delegation tree into plan steps. Pure: no database.

A tree is `{"goal": "...", "plan": <node>}`. A node is either
- a task node `{"type": "task", "task": "...", "hint"?, "context"?, "input"?: <node>,
  "executor"?, "params"?, "action"?, "inputs"?, "approval"?: "none" | "required" |
  {"group"?, "count"?}, "on_failure"?: "fail" | "ask"}`; its `input` child runs first and its
  result is the task's input, or
- a combine node `{"type": "combine", "operator": "UNION"|"INTERSECT"|"MINUS"|"RMINUS"|"COLOCATE",
  "left": <node>, "right": <node>, "context"?}` that runs after both children and combines their
  results.

Each node becomes one step whose key is the node's path ("plan", "plan.input", "plan.left", ...),
ordered children before parents. A task node naming a catalog `action` keeps it and its
`inputs` on its step, which is then compiled as any action step is (plans/catalog/compile.py):
its bindings may read other nodes' results by their keys (`{"$from": "plan.left.result"}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plans.validation import (
    ON_FAILURE_VALUES,
    Loc,
    PlanInvalid,
    Problem,
    StepDraft,
    check_approval,
)

OPERATORS = ("UNION", "INTERSECT", "MINUS", "RMINUS", "COLOCATE")
TASK_FIELDS = frozenset(
    {
        "type",
        "task",
        "hint",
        "context",
        "input",
        "executor",
        "params",
        "action",
        "inputs",
        "approval",
        "on_failure",
    }
)
COMBINE_FIELDS = frozenset({"type", "operator", "left", "right", "context"})
COMBINE_EXECUTOR = "combine"


@dataclass(frozen=True)
class CompiledTree:
    goal: str
    steps: list[StepDraft]


def compile_tree(
    tree: Any, *, default_executor: str, max_depth: int, loc: Loc = ("delegation",)
) -> CompiledTree:
    """Compile a delegation tree; raise PlanInvalid naming every problem's path."""
    compiler = _Compiler(default_executor=default_executor, max_depth=max_depth, base=loc)
    if not isinstance(tree, dict):
        raise PlanInvalid([Problem(loc, f"a delegation tree is an object, not {_type_name(tree)}")])
    problems = compiler.problems
    extra = sorted(set(tree) - {"goal", "plan"})
    for name in extra:
        problems.append(
            Problem(
                (*loc, name),
                f"unknown field {name!r}: a delegation tree has exactly 'goal' and 'plan'",
            )
        )
    goal = tree.get("goal")
    if not isinstance(goal, str) or not goal.strip():
        problems.append(Problem((*loc, "goal"), "goal must be a non-empty string"))
    if "plan" not in tree:
        problems.append(Problem((*loc, "plan"), "a delegation tree needs a 'plan' node"))
    else:
        compiler.node(tree["plan"], ("plan",), depth=1)
    if problems:
        raise PlanInvalid(problems)
    return CompiledTree(goal=str(goal).strip(), steps=compiler.steps)


class _Compiler:
    def __init__(self, *, default_executor: str, max_depth: int, base: Loc) -> None:
        self.default_executor = default_executor
        self.max_depth = max_depth
        self.base = base
        self.steps: list[StepDraft] = []
        self.problems: list[Problem] = []

    def problem(self, path: tuple[str, ...], msg: str) -> None:
        self.problems.append(Problem((*self.base, *path), msg))

    def node(self, node: Any, path: tuple[str, ...], *, depth: int) -> str | None:
        """Add the node's steps (children first); return its step key, or None if it is invalid."""
        if depth > self.max_depth:
            self.problem(path, f"the tree is nested deeper than {self.max_depth} levels")
            return None
        if not isinstance(node, dict):
            self.problem(path, f"a node is an object, not {_type_name(node)}")
            return None
        kind = node.get("type")
        if kind == "task":
            return self.task(node, path, depth=depth)
        if kind == "combine":
            return self.combine(node, path, depth=depth)
        if kind is None:
            self.problem((*path, "type"), "a node needs a type: 'task' or 'combine'")
        else:
            self.problem(
                (*path, "type"), f"unknown node type {kind!r}: expected 'task' or 'combine'"
            )
        return None

    def unknown_fields(
        self, node: dict[str, Any], path: tuple[str, ...], allowed: frozenset[str]
    ) -> None:
        for name in sorted(set(node) - allowed):
            self.problem((*path, name), f"unknown field {name!r} in a {node['type']} node")

    def context(self, node: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        context = node.get("context", {})
        if not isinstance(context, dict):
            self.problem((*path, "context"), f"context is an object, not {_type_name(context)}")
            return {}
        return context

    def task(self, node: dict[str, Any], path: tuple[str, ...], *, depth: int) -> str | None:
        valid = True
        self.unknown_fields(node, path, TASK_FIELDS)
        task = node.get("task")
        if not isinstance(task, str) or not task.strip():
            self.problem((*path, "task"), "a task node needs a non-empty 'task' string")
            valid = False
        hint = node.get("hint", "")
        if not isinstance(hint, str):
            self.problem((*path, "hint"), f"hint is a string, not {_type_name(hint)}")
            valid = False
        action = node.get("action", "")
        if not isinstance(action, str) or ("action" in node and not action.strip()):
            self.problem((*path, "action"), "action is the name of a catalog action")
            valid = False
        inputs = node.get("inputs")
        if inputs is not None and not isinstance(inputs, dict):
            self.problem((*path, "inputs"), f"inputs is an object, not {_type_name(inputs)}")
            valid = False
        # A node naming an action runs the action's executor (a different one is reported when
        # the steps are compiled).
        executor = node.get("executor", "" if action else self.default_executor)
        if not isinstance(executor, str) or (not executor and not action):
            self.problem((*path, "executor"), "executor is a non-empty string")
            valid = False
        params = node.get("params", {})
        if not isinstance(params, dict):
            self.problem((*path, "params"), f"params is an object, not {_type_name(params)}")
            valid = False
        approval = node.get("approval", "none")
        for problem in check_approval(approval, (*self.base, *path, "approval")):
            self.problems.append(problem)
            valid = False
        on_failure = node.get("on_failure")
        if on_failure is not None and on_failure not in ON_FAILURE_VALUES:
            self.problem((*path, "on_failure"), "on_failure is 'fail' or 'ask'")
            valid = False
        context = self.context(node, path)
        depends_on: list[str] = []
        if "input" in node:
            child = self.node(node["input"], (*path, "input"), depth=depth + 1)
            if child is None:
                valid = False
            else:
                depends_on.append(child)
        if not valid or len(self.problems):
            return None
        key = ".".join(path)
        self.steps.append(
            StepDraft(
                key=key,
                title=_shorten(str(task)),
                task=str(task),
                hint=str(hint),
                executor=str(executor),
                params=dict(params),
                context=context,
                depends_on=depends_on,
                approval=dict(approval) if isinstance(approval, dict) else str(approval),
                loc=(*self.base, *path),
                on_failure=on_failure,
                action=str(action),
                inputs=dict(inputs) if inputs is not None else None,
            )
        )
        return key

    def combine(self, node: dict[str, Any], path: tuple[str, ...], *, depth: int) -> str | None:
        self.unknown_fields(node, path, COMBINE_FIELDS)
        operator = node.get("operator")
        if operator not in OPERATORS:
            shown = "missing" if operator is None else repr(operator)
            self.problem(
                (*path, "operator"), f"operator is {shown}; expected one of {', '.join(OPERATORS)}"
            )
        context = self.context(node, path)
        children: dict[str, str | None] = {}
        for side in ("left", "right"):
            if side not in node:
                self.problem((*path, side), "combine node needs both left and right")
                children[side] = None
            else:
                children[side] = self.node(node[side], (*path, side), depth=depth + 1)
        if self.problems:
            return None
        key = ".".join(path)
        left, right = children["left"], children["right"]
        assert left is not None and right is not None  # noqa: S101 - guaranteed by the check above
        self.steps.append(
            StepDraft(
                key=key,
                title=f"{operator} of {left} and {right}",
                task=f"Combine the results of {left} and {right} with {operator}",
                executor=COMBINE_EXECUTOR,
                params={"operator": operator, "left": left, "right": right},
                context=context,
                depends_on=[left, right],
                loc=(*self.base, *path),
            )
        )
        return key


def _shorten(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _type_name(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
    }
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return names.get(type(value), type(value).__name__)
