"""The delegation-tree compiler on valid trees and every invalid shape. Pure: no database."""

from __future__ import annotations

from typing import Any

import pytest

from plans.delegation import compile_tree
from plans.validation import PlanInvalid


def compile_(tree: Any) -> Any:
    return compile_tree(tree, default_executor="echo", max_depth=5)


def problems(tree: Any) -> dict[str, str]:
    with pytest.raises(PlanInvalid) as info:
        compile_(tree)
    return {p.path: p.msg for p in info.value.problems}


def task(text: str, **more: Any) -> dict[str, Any]:
    return {"type": "task", "task": text, **more}


def test_it_compiles_a_single_task() -> None:
    compiled = compile_(
        {"goal": "Find papers", "plan": task("search", hint="arxiv", context={"k": 1})}
    )
    assert compiled.goal == "Find papers"
    [only] = compiled.steps
    assert (only.key, only.task, only.hint, only.executor, only.context, only.depends_on) == (
        "plan",
        "search",
        "arxiv",
        "echo",
        {"k": 1},
        [],
    )


def test_it_orders_children_before_parents_and_records_dependencies() -> None:
    tree = {
        "goal": "g",
        "plan": {
            "type": "combine",
            "operator": "INTERSECT",
            "left": task("summarise", input=task("fetch")),
            "right": task("other", executor="python", params={"function": "word_count"}),
            "context": {"distance": 3},
        },
    }
    steps = compile_(tree).steps
    keys = [s.key for s in steps]
    assert keys == ["plan.left.input", "plan.left", "plan.right", "plan"]
    by_key = {s.key: s for s in steps}
    assert by_key["plan.left"].depends_on == ["plan.left.input"]
    assert by_key["plan.right"].executor == "python"
    assert by_key["plan.right"].params == {"function": "word_count"}
    root = by_key["plan"]
    assert root.executor == "combine"
    assert root.params == {"operator": "INTERSECT", "left": "plan.left", "right": "plan.right"}
    assert root.depends_on == ["plan.left", "plan.right"]
    assert root.context == {"distance": 3}
    for step in steps:
        for dep in step.depends_on:
            assert keys.index(dep) < keys.index(step.key)


@pytest.mark.parametrize(
    ("tree", "path", "message"),
    [
        ([], "delegation", "a delegation tree is an object, not a list"),
        (
            {"goal": "g", "plan": task("x"), "extra": 1},
            "delegation.extra",
            "exactly 'goal' and 'plan'",
        ),
        ({"plan": task("x")}, "delegation.goal", "goal must be a non-empty string"),
        ({"goal": "  ", "plan": task("x")}, "delegation.goal", "goal must be a non-empty string"),
        ({"goal": "g"}, "delegation.plan", "needs a 'plan' node"),
        ({"goal": "g", "plan": "do it"}, "delegation.plan", "a node is an object, not a string"),
        ({"goal": "g", "plan": {"task": "x"}}, "delegation.plan.type", "needs a type"),
        (
            {"goal": "g", "plan": {"type": "loop"}},
            "delegation.plan.type",
            "unknown node type 'loop'",
        ),
        ({"goal": "g", "plan": {"type": "task"}}, "delegation.plan.task", "non-empty 'task'"),
        (
            {"goal": "g", "plan": task("x", hint=3)},
            "delegation.plan.hint",
            "hint is a string, not a number",
        ),
        (
            {"goal": "g", "plan": task("x", context=[])},
            "delegation.plan.context",
            "context is an object",
        ),
        (
            {"goal": "g", "plan": task("x", params=[1])},
            "delegation.plan.params",
            "params is an object",
        ),
        (
            {"goal": "g", "plan": task("x", executor="")},
            "delegation.plan.executor",
            "non-empty string",
        ),
        (
            {"goal": "g", "plan": task("x", colour="red")},
            "delegation.plan.colour",
            "unknown field 'colour'",
        ),
        (
            {"goal": "g", "plan": task("x", input={"type": "task"})},
            "delegation.plan.input.task",
            "non-empty 'task'",
        ),
        (
            {"goal": "g", "plan": {"type": "combine", "operator": "UNION", "left": task("a")}},
            "delegation.plan.right",
            "combine node needs both left and right",
        ),
        (
            {"goal": "g", "plan": {"type": "combine", "operator": "UNION", "right": task("a")}},
            "delegation.plan.left",
            "combine node needs both left and right",
        ),
        (
            {
                "goal": "g",
                "plan": {
                    "type": "combine",
                    "operator": "XOR",
                    "left": task("a"),
                    "right": task("b"),
                },
            },
            "delegation.plan.operator",
            "operator is 'XOR'; expected one of UNION, INTERSECT, MINUS, RMINUS, COLOCATE",
        ),
        (
            {"goal": "g", "plan": {"type": "combine", "left": task("a"), "right": task("b")}},
            "delegation.plan.operator",
            "operator is missing",
        ),
        (
            {
                "goal": "g",
                "plan": {
                    "type": "combine",
                    "operator": "UNION",
                    "left": task("a"),
                    "right": task("b"),
                    "op": 1,
                },
            },
            "delegation.plan.op",
            "unknown field 'op' in a combine node",
        ),
    ],
)
def test_it_names_the_path_of_each_problem(tree: Any, path: str, message: str) -> None:
    found = problems(tree)
    assert path in found, found
    assert message in found[path]


def test_it_reports_every_problem_at_once() -> None:
    tree = {
        "goal": "",
        "plan": {"type": "combine", "operator": "NOPE", "left": {"type": "task"}},
    }
    assert set(problems(tree)) == {
        "delegation.goal",
        "delegation.plan.operator",
        "delegation.plan.left.task",
        "delegation.plan.right",
    }


def test_it_refuses_trees_nested_too_deep() -> None:
    node: dict[str, Any] = task("leaf")
    for _ in range(6):
        node = task("wrap", input=node)
    found = problems({"goal": "g", "plan": node})
    assert any("nested deeper than 5 levels" in msg for msg in found.values())


def test_a_task_node_keeps_its_action_and_inputs_for_the_catalog() -> None:
    tree = {
        "goal": "g",
        "plan": task(
            "sum",
            action="sum_numbers",
            inputs={"numbers": {"$from": "plan.input.result"}},
            input=task("fetch"),
        ),
    }
    root = {s.key: s for s in compile_(tree).steps}["plan"]
    # The executor is left to the action's (plans/catalog/compile.py).
    assert (root.action, root.executor) == ("sum_numbers", "")
    assert root.inputs == {"numbers": {"$from": "plan.input.result"}}
    assert root.loc == ("delegation", "plan")
