"""The answer to a plan just submitted, built from its steps as written.

It is the PlanOut that GET /api/v1/plans/{id} answers at that moment, field for field and in the
same order, without reading the steps back or validating each through the schema (at 10,000
steps those took seconds): the plan's own fields go through PlanOut as always, and each step is
written out directly, knowing what a step that has not run yet holds (no result, attempts,
items, guardrail findings or usage). Gates, the only steps with more to say at submission (their
approvals and deadline), go through the same selectors and schemas as GET.
"""

from __future__ import annotations

from typing import Any

from plans import selectors, services
from plans.api.schemas import DeadlineOut, PlanOut, QuorumOut
from plans.approvals import selectors as approval_selectors
from plans.deadlines import selectors as deadline_selectors
from plans.dependencies import dependencies_of
from plans.models import Plan, PlanStep, StepApproval
from plans.states import StepStatus

# What a step that has not been claimed or decided on can be: waiting, or skipped before it ran.
_UNRUN = frozenset({StepStatus.PENDING, StepStatus.SKIPPED})


class PlanHeadOut(PlanOut):
    """PlanOut without its steps (`steps` and `awaiting_approval` empty), for an answer that
    has them in hand."""

    @staticmethod
    def resolve_steps(obj: Plan) -> list[PlanStep]:
        return []

    @staticmethod
    def resolve_awaiting_approval(obj: Plan) -> list[str]:
        return []


def step_answer(step: PlanStep, gates: dict[str, Any]) -> dict[str, Any]:
    """StepOut of a step that has not run yet, as written; `gates`: the gated steps' approvals
    by key."""
    cost = step.estimated_cost
    deadline = deadline_selectors.step_deadline(step) if step.on_timeout else None
    approvals = gates.get(step.key)
    return {
        "key": step.key,
        "title": step.title,
        "task": step.task,
        "hint": step.hint,
        "executor": step.executor,
        "params": step.params,
        "context": step.context,
        "depends_on": [d.key for d in dependencies_of(step)],
        "status": step.status,
        "result": step.result,
        "error": step.error,
        "skip_reason": step.skip_reason,
        "attempts": step.attempts,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "for_each": step.for_each,
        "on_failure": step.on_failure,
        # A fan-out step's items are made when it runs.
        "items": [],
        "approval": step.approval,
        "gate": None,
        "decision_deadline": None if deadline is None else DeadlineOut(**deadline).model_dump(),
        "guardrails": step.guardrails,
        "quality": step.quality,
        "recover": step.recover,
        # A recovery recipe changes what a step runs only once it has failed.
        "runs": None,
        "action": step.action,
        "inputs": step.inputs,
        "estimated_cost": None if cost is None else float(cost),
        "guardrail_findings": [],
        "usage": None,
        "approvals": None if approvals is None else QuorumOut(**approvals).model_dump(),
    }


def submitted_answer(team: Any, submitted: services.Submitted) -> dict[str, Any]:
    """PlanOut of the plan just submitted (as python values: times are datetimes)."""
    if submitted.steps is None:
        # A policy rule approved it on the spot: read it as it is now.
        return PlanOut.from_orm(selectors.plan_get_for_team(team, submitted.plan.pk)).model_dump()
    plan = selectors.plan_header_for_team(team, submitted.plan.pk)
    answer = PlanHeadOut.from_orm(plan).model_dump()
    steps = submitted.steps
    gated = [s for s in steps if s.approval == StepApproval.REQUIRED]
    gates = {key: q.as_dict() for key, q in approval_selectors.gate_quorums(plan, gated).items()}
    answer["steps"] = [step_answer(step, gates) for step in steps]
    return answer


def unrun_answer(plan: Plan) -> dict[str, Any] | None:
    """PlanOut of a plan (read with its steps, as GET reads it) none of whose steps has started
    or waited for a decision yet (one just approved, say), built as submitted_answer builds it;
    None if one of them has, for the caller to answer with the plan as GET does."""
    steps = list(plan.steps.all())
    if any(s.attempts or s.status not in _UNRUN or s.gate_approved_at is not None for s in steps):
        return None
    answer = PlanHeadOut.from_orm(plan).model_dump()
    gated = [s for s in steps if s.approval == StepApproval.REQUIRED]
    gates = {key: q.as_dict() for key, q in approval_selectors.gate_quorums(plan, gated).items()}
    answer["steps"] = [step_answer(step, gates) for step in steps]
    return answer
