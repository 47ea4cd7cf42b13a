"""Every plan and step status change, allowed or not. Pure: no database."""

from __future__ import annotations

import itertools

import pytest

from plans.states import (
    InvalidTransition,
    PlanStatus,
    StepStatus,
    check_step_skippable,
    plan_transition,
    step_transition,
)

PLAN_ALLOWED = {
    (PlanStatus.DRAFT, PlanStatus.APPROVED),
    (PlanStatus.DRAFT, PlanStatus.CANCELLED),
    (PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED),
    # A new revision answers the requested changes.
    (PlanStatus.CHANGES_REQUESTED, PlanStatus.DRAFT),
    (PlanStatus.CHANGES_REQUESTED, PlanStatus.CANCELLED),
    (PlanStatus.APPROVED, PlanStatus.EXECUTING),
    (PlanStatus.APPROVED, PlanStatus.CANCELLED),
    (PlanStatus.EXECUTING, PlanStatus.COMPLETED),
    (PlanStatus.EXECUTING, PlanStatus.FAILED),
    (PlanStatus.EXECUTING, PlanStatus.CANCELLED),
    # A step that asks for help failed; a reviewer retries or skips it, or fails the plan.
    (PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION),
    (PlanStatus.NEEDS_ATTENTION, PlanStatus.EXECUTING),
    (PlanStatus.NEEDS_ATTENTION, PlanStatus.FAILED),
    (PlanStatus.NEEDS_ATTENTION, PlanStatus.CANCELLED),
}
STEP_ALLOWED = {
    (StepStatus.PENDING, StepStatus.IN_PROGRESS),
    (StepStatus.PENDING, StepStatus.SKIPPED),
    # A step waiting on a failed one fails with it.
    (StepStatus.PENDING, StepStatus.FAILED),
    # A gated step waits for a reviewer once its dependencies are done...
    (StepStatus.PENDING, StepStatus.AWAITING_APPROVAL),
    # ...who approves it (ready to claim), skips it, or ends its plan.
    (StepStatus.AWAITING_APPROVAL, StepStatus.PENDING),
    (StepStatus.AWAITING_APPROVAL, StepStatus.SKIPPED),
    (StepStatus.AWAITING_APPROVAL, StepStatus.FAILED),
    # A failed step of a plan that needs attention: retried, or skipped.
    (StepStatus.FAILED, StepStatus.PENDING),
    (StepStatus.FAILED, StepStatus.SKIPPED),
    (StepStatus.IN_PROGRESS, StepStatus.COMPLETED),
    (StepStatus.IN_PROGRESS, StepStatus.FAILED),
    # Retried, reclaimed after its worker died, or released at shutdown.
    (StepStatus.IN_PROGRESS, StepStatus.PENDING),
}


@pytest.mark.parametrize("pair", sorted(PLAN_ALLOWED))
def test_plan_transition__allowed(pair: tuple[str, str]) -> None:
    assert plan_transition(*pair) == pair[1]


@pytest.mark.parametrize(
    "pair", sorted(set(itertools.product(PlanStatus.values, repeat=2)) - PLAN_ALLOWED)
)
def test_plan_transition__forbidden_names_the_current_status(pair: tuple[str, str]) -> None:
    current, target = pair
    with pytest.raises(InvalidTransition, match=f"plan that is {current}"):
        plan_transition(current, target)


@pytest.mark.parametrize("pair", sorted(STEP_ALLOWED))
def test_step_transition__allowed(pair: tuple[str, str]) -> None:
    assert step_transition(*pair) == pair[1]


@pytest.mark.parametrize(
    "pair", sorted(set(itertools.product(StepStatus.values, repeat=2)) - STEP_ALLOWED)
)
def test_step_transition__forbidden(pair: tuple[str, str]) -> None:
    current, target = pair
    with pytest.raises(InvalidTransition, match=f"step 'k' that is {current.replace('_', ' ')}"):
        step_transition(current, target, key="k")


@pytest.mark.parametrize(
    "plan_status",
    [
        PlanStatus.DRAFT,
        PlanStatus.CHANGES_REQUESTED,
        PlanStatus.APPROVED,
        PlanStatus.EXECUTING,
        PlanStatus.NEEDS_ATTENTION,
    ],
)
def test_it_lets_a_reviewer_skip_a_pending_step_while_the_plan_is_open(plan_status: str) -> None:
    check_step_skippable(plan_status=plan_status, step_status=StepStatus.PENDING, key="k")


@pytest.mark.parametrize(
    "plan_status", [PlanStatus.COMPLETED, PlanStatus.FAILED, PlanStatus.CANCELLED]
)
def test_it_refuses_skips_once_the_plan_has_ended(plan_status: str) -> None:
    with pytest.raises(InvalidTransition, match=f"the plan is {plan_status}"):
        check_step_skippable(plan_status=plan_status, step_status=StepStatus.PENDING, key="k")


NOT_SKIPPABLE = [StepStatus.IN_PROGRESS, StepStatus.COMPLETED, StepStatus.SKIPPED]


@pytest.mark.parametrize("step_status", NOT_SKIPPABLE)
def test_it_refuses_to_skip_a_step_that_has_run_or_is_running(step_status: str) -> None:
    with pytest.raises(InvalidTransition, match="cannot skip step 'k'"):
        check_step_skippable(plan_status=PlanStatus.EXECUTING, step_status=step_status, key="k")


def test_it_lets_a_reviewer_skip_a_step_awaiting_approval() -> None:
    check_step_skippable(
        plan_status=PlanStatus.EXECUTING, step_status=StepStatus.AWAITING_APPROVAL, key="k"
    )


def test_it_skips_a_failed_step_only_to_rescue_a_plan_that_needs_attention() -> None:
    with pytest.raises(InvalidTransition, match="cannot skip step 'k' that is failed"):
        check_step_skippable(plan_status=PlanStatus.EXECUTING, step_status="failed", key="k")
    check_step_skippable(plan_status=PlanStatus.NEEDS_ATTENTION, step_status="failed", key="k")
