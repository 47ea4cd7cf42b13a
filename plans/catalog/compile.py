"""Compiling the steps that name an action: executor, params and defaults from the action.

A step's params are the action's default params, then the step's own params over them, then
its inputs over both, each under its input's name: `{"action": "count_words", "inputs":
{"text": "..."}}` runs the action's executor with `{**action.params, "text": "..."}`. A `$input`
binding takes the plan input's value; an unsupplied one stays a binding (the plan cannot be
approved until it is supplied). A `$from`
binding stays in the params until the worker resolves it, and the step depends on the step it
reads. The action's timeout, attempts, guardrails and estimated cost apply where the step sets
none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from plans.bindings.flow import INPUT, check_flow, input_uses, parse_binding, supplied_problems
from plans.catalog.spec import ActionSpec
from plans.validation import Problem, StepDraft


def compile_steps(
    drafts: Sequence[StepDraft],
    *,
    actions: Mapping[str, ActionSpec],
    inputs: Mapping[str, Any],
    default_executor: str,
) -> tuple[list[StepDraft], list[Problem]]:
    """The steps with each action step compiled, and every problem with their actions,
    bindings and the plan's `inputs`. Steps without an action are returned as they are."""
    if not any(d.action or d.inputs for d in drafts) and not inputs:
        return list(drafts), []
    flow = check_flow(drafts, actions)
    problems = list(flow.problems)
    uses = input_uses((d.key, actions.get(d.action), d.inputs) for d in drafts if d.action)
    problems.extend(supplied_problems(uses, inputs, ("inputs",)))
    compiled = []
    for draft in drafts:
        action = actions.get(draft.action) if draft.action else None
        if action is None:
            # An unknown action is reported above; the default executor keeps other checks quiet.
            compiled.append(replace(draft, executor=draft.executor or default_executor))
            continue
        if draft.executor and draft.executor != action.executor:
            problems.append(
                Problem(
                    (*draft.loc, "executor"),
                    f"action {action.name!r} runs executor {action.executor!r}; "
                    "leave executor out of a step that names an action",
                )
            )
        compiled.append(compile_step(draft, action, inputs, flow.reads.get(draft.key, [])))
    return compiled, problems


def compile_step(
    draft: StepDraft, action: ActionSpec, inputs: Mapping[str, Any], reads: Sequence[str]
) -> StepDraft:
    """One action step compiled (see the module's docstring)."""
    params = {**action.params, **draft.params}
    for name, value in (draft.inputs or {}).items():
        binding, _ = parse_binding(value)
        if binding is not None and binding.kind == INPUT:
            params[name] = inputs.get(binding.ref, value)
        else:
            params[name] = value
    return replace(
        draft,
        executor=action.executor,
        params=params,
        depends_on=list(dict.fromkeys([*draft.depends_on, *reads])),
        timeout_seconds=(
            draft.timeout_seconds if draft.timeout_seconds is not None else action.timeout_seconds
        ),
        max_attempts=draft.max_attempts if draft.max_attempts is not None else action.max_attempts,
        guardrails=draft.guardrails if draft.guardrails is not None else action.guardrails,
        estimated_cost=(
            draft.estimated_cost if draft.estimated_cost is not None else action.estimated_cost
        ),
        inputs=dict(draft.inputs or {}),
    )
