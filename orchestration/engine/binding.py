"""Bindings in the worker: an action step's `$from` inputs take their values from its
dependencies' results when an attempt starts, and every input is checked against the action's
input schema (plans/bindings/resolve.py). A problem fails the attempt as `bad_input`, which is
not retried, and the executor never runs."""

from __future__ import annotations

from dataclasses import replace

from executors.protocol import FailureClass, StepOutcome, StepSpec
from orchestration.engine.claims import Claim
from plans.bindings.flow import has_bindings
from plans.bindings.resolve import resolve
from plans.catalog.selectors import step_binding


def bind(claim: Claim, spec: StepSpec) -> tuple[StepSpec, StepOutcome | None]:
    """The spec with the step's bound inputs in its params, or the spec as it was and the
    attempt's failure. Steps whose params hold no binding (nearly all) cost nothing here: their
    literals were checked when the plan was submitted."""
    if claim.parent_id is not None or not has_bindings(spec.params):
        return spec, None
    action, inputs = step_binding(step_id=claim.id, team_id=claim.team_id)
    if inputs is None:
        # Not an action step: its params are the executor's, as submitted.
        return spec, None
    params, problems = resolve(
        params=spec.params, inputs=inputs, results=claim.inputs, action=action
    )
    if problems:
        return spec, StepOutcome.failure("; ".join(problems), FailureClass.BAD_INPUT)
    return replace(spec, params=params), None
