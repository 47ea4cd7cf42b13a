"""The plan and step state machines: the only place that says which change of status is allowed.

Pure: no database. `plans/services.py` calls `transition()` before every status change, so the
rules hold for every caller (API, pages, admin, worker).
"""

from __future__ import annotations

from django.db import models


class DomainError(Exception):
    """A request that the current state of a plan does not allow (the API answers 409)."""


class InvalidTransition(DomainError):
    """A status change the state machine forbids."""


class StaleVersion(DomainError):
    """An approval naming a version of the plan that is no longer the current one."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    # A reviewer asked for changes; a new revision from the integration (or a reviewer's edit)
    # makes it a draft again.
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    EXECUTING = "executing", "Executing"
    # A step that asks for help when it fails (on_failure "ask") failed for good: nothing that
    # depends on it starts until a reviewer retries it, skips it, or fails the plan.
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # A gated step ("approval": "required") whose dependencies are done: it waits for a
    # reviewer's decision, with its real inputs known, before a worker may claim it.
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanStatus.DRAFT: frozenset(
        {PlanStatus.APPROVED, PlanStatus.CHANGES_REQUESTED, PlanStatus.CANCELLED}
    ),
    PlanStatus.CHANGES_REQUESTED: frozenset({PlanStatus.DRAFT, PlanStatus.CANCELLED}),
    PlanStatus.APPROVED: frozenset({PlanStatus.EXECUTING, PlanStatus.CANCELLED}),
    PlanStatus.EXECUTING: frozenset(
        {
            PlanStatus.COMPLETED,
            PlanStatus.FAILED,
            PlanStatus.CANCELLED,
            PlanStatus.NEEDS_ATTENTION,
        }
    ),
    # Back to executing once the failed step is retried or skipped; failed by a reviewer.
    PlanStatus.NEEDS_ATTENTION: frozenset(
        {PlanStatus.EXECUTING, PlanStatus.FAILED, PlanStatus.CANCELLED}
    ),
    PlanStatus.COMPLETED: frozenset(),
    PlanStatus.FAILED: frozenset(),
    PlanStatus.CANCELLED: frozenset(),
}

STEP_TRANSITIONS: dict[str, frozenset[str]] = {
    # Pending to failed: a step that waits on a failed step ("dependency_failed").
    StepStatus.PENDING: frozenset(
        {
            StepStatus.IN_PROGRESS,
            StepStatus.SKIPPED,
            StepStatus.FAILED,
            StepStatus.AWAITING_APPROVAL,
        }
    ),
    # A gate: approved (back to pending, ready to claim), skipped, or failed with its plan.
    StepStatus.AWAITING_APPROVAL: frozenset(
        {StepStatus.PENDING, StepStatus.SKIPPED, StepStatus.FAILED}
    ),
    # Back to pending: a retry, a lease that expired (its worker died) or one released at shutdown.
    StepStatus.IN_PROGRESS: frozenset(
        {StepStatus.COMPLETED, StepStatus.FAILED, StepStatus.PENDING}
    ),
    StepStatus.COMPLETED: frozenset(),
    # Only while its plan needs attention: a reviewer retries it (a new attempt) or skips it.
    StepStatus.FAILED: frozenset({StepStatus.PENDING, StepStatus.SKIPPED}),
    StepStatus.SKIPPED: frozenset(),
}

PLAN_TERMINAL = frozenset({PlanStatus.COMPLETED, PlanStatus.FAILED, PlanStatus.CANCELLED})
STEP_TERMINAL = frozenset({StepStatus.COMPLETED, StepStatus.FAILED, StepStatus.SKIPPED})
# A reviewer may skip a step only while the plan is in one of these.
PLAN_STATUSES_ALLOWING_SKIP = frozenset(
    {
        PlanStatus.DRAFT,
        PlanStatus.CHANGES_REQUESTED,
        PlanStatus.APPROVED,
        PlanStatus.EXECUTING,
        PlanStatus.NEEDS_ATTENTION,
    }
)

# Verbs for error messages, by target status.
_PLAN_VERBS = {
    PlanStatus.DRAFT: "revise",
    PlanStatus.CHANGES_REQUESTED: "request changes to",
    PlanStatus.NEEDS_ATTENTION: "hold",
    PlanStatus.APPROVED: "approve",
    PlanStatus.EXECUTING: "start",
    PlanStatus.COMPLETED: "complete",
    PlanStatus.FAILED: "fail",
    PlanStatus.CANCELLED: "cancel",
}
_STEP_VERBS = {
    StepStatus.PENDING: "requeue",
    StepStatus.AWAITING_APPROVAL: "hold",
    StepStatus.IN_PROGRESS: "start",
    StepStatus.COMPLETED: "complete",
    StepStatus.FAILED: "fail",
    StepStatus.SKIPPED: "skip",
}


def plan_transition(current: str, target: str) -> str:
    """Return `target` if a plan may go from `current` to it; raise InvalidTransition otherwise."""
    if target not in PLAN_TRANSITIONS.get(current, frozenset()):
        verb = _PLAN_VERBS.get(PlanStatus(target), f"move to {target}")
        raise InvalidTransition(f"cannot {verb} a plan that is {current}")
    return target


def step_transition(current: str, target: str, *, key: str = "") -> str:
    """Return `target` if a step may go from `current` to it; raise InvalidTransition otherwise."""
    if target not in STEP_TRANSITIONS.get(current, frozenset()):
        verb = _STEP_VERBS.get(StepStatus(target), f"move to {target}")
        what = f"step {key!r}" if key else "a step"
        raise InvalidTransition(f"cannot {verb} {what} that is {current.replace('_', ' ')}")
    return target


def check_step_skippable(*, plan_status: str, step_status: str, key: str) -> None:
    """Raise InvalidTransition unless a reviewer may skip this step now."""
    if plan_status not in PLAN_STATUSES_ALLOWING_SKIP:
        raise InvalidTransition(f"cannot skip step {key!r}: the plan is {plan_status}")
    if step_status == StepStatus.FAILED and plan_status != PlanStatus.NEEDS_ATTENTION:
        # A failed step is skipped only to rescue a plan that waits on it.
        raise InvalidTransition(f"cannot skip step {key!r} that is failed")
    step_transition(step_status, StepStatus.SKIPPED, key=key)
