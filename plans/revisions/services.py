"""Replacing a plan's content with a new revision, while it is still under review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from django.db import transaction
from django.utils import timezone

from plans import services
from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.catalog.selectors import plan_missing_required
from plans.deadlines.schedule import plan_timers_restart
from plans.models import EventKind, Plan, PlanRevision
from plans.policy import evaluation as policy
from plans.revisions.content import revision_record
from plans.services import Actor, PlanSubmission
from plans.states import InvalidTransition, PlanStatus, StaleVersion, plan_transition
from plans.validation import StepDraft

# A plan's content may be replaced only while no one has approved it.
REVISABLE = frozenset({PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED})


@dataclass
class RevisionDraft:
    """A new version of a plan's content: steps or a delegation tree (exactly one), and a title
    and goal (None keeps the plan's)."""

    base_version: int
    steps: list[StepDraft] | None = None
    delegation: Any = None
    title: str | None = None
    goal: str | None = None
    comment: str = ""
    # The plan inputs (plans/bindings/); None keeps the plan's.
    inputs: dict[str, Any] | None = None


@transaction.atomic
def plan_revise(*, plan: Plan, actor: Actor, draft: RevisionDraft) -> PlanRevision:
    """Replace the plan's steps (and title, goal, delegation tree) with a new version, recorded
    as a revision, and make the plan a draft again.

    Raises StaleVersion if `base_version` is not the plan's version (someone changed it since
    the caller read it), InvalidTransition unless the plan is a draft or has changes requested,
    and PlanInvalid (every problem, nothing written) for bad content, checked as a submission is.
    """
    # Under the plan lock: of two revisions on the same base, or a revision and an approval,
    # exactly one goes first, and the other then sees the new version or status.
    plan = services._lock(plan)
    access_check(plan=plan, actor=actor, action=Action.REVISE)
    if plan.status not in REVISABLE:
        raise InvalidTransition(f"cannot revise a plan that is {plan.status}")
    if draft.base_version != plan.version:
        raise StaleVersion(
            f"the plan is at version {plan.version}, not {draft.base_version}; "
            f"look at version {plan.version} and revise that one",
            current_version=plan.version,
        )
    goal = plan.goal if draft.goal is None else draft.goal
    if draft.delegation is not None and draft.goal is None:
        # A new delegation tree brings its own goal, unless one is given beside it.
        goal = ""
    goal, steps = services.prepare_steps(
        team=plan.team,
        submission=PlanSubmission(
            user_id=plan.user_id,
            topic_id=plan.topic_id,
            goal=goal,
            steps=draft.steps,
            delegation=draft.delegation,
            inputs=plan.inputs if draft.inputs is None else draft.inputs,
        ),
    )
    # The team's policy, as at submission: refuses (PlanInvalid, nothing written) or gates steps.
    verdict = policy.plan_evaluate(
        team=plan.team,
        actor=actor,
        user_id=plan.user_id,
        topic_id=plan.topic_id,
        tags=plan.tags,
        steps=steps,
    )
    steps = policy.gated(verdict, steps)
    if plan.status == PlanStatus.CHANGES_REQUESTED:
        plan.status = plan_transition(plan.status, PlanStatus.DRAFT)
    # Deletes the old steps' dependency rows with them; nothing ran, so nothing is lost.
    plan.steps.all().delete()
    services.create_steps(plan, steps)
    plan.goal = goal
    if draft.title is not None:
        plan.title = draft.title.strip()
    plan.delegation = draft.delegation
    if draft.inputs is not None:
        plan.inputs = draft.inputs
    plan.version += 1
    plan.save(
        update_fields=[
            "status",
            "goal",
            "title",
            "delegation",
            "inputs",
            "version",
            "updated_at",
            *policy.raise_quorum(verdict, plan),
            *policy.revised_deadline(verdict, plan),
        ]
    )
    # Back to draft: the decision is awaited again, by the deadline it had (not reset), or the
    # earlier one a policy rule now sets.
    plan_timers_restart(plan=plan, now=timezone.now())
    comment = draft.comment.strip()
    revision = revision_record(
        plan=plan,
        actor=actor.label,
        actor_user=actor.user,
        comment=comment,
        policy=verdict.as_json(),
    )
    services._record(
        plan,
        EventKind.PLAN_REVISED,
        actor,
        data={
            "version": plan.version,
            "base_version": draft.base_version,
            "comment": comment,
            "content_hash": revision.content_hash,
            "steps": len(steps),
        },
    )
    if (rule := verdict.auto_approve) is not None and not plan_missing_required(plan):
        services.plan_approve(plan=plan, actor=Actor.for_policy(rule.name), version=plan.version)
    return revision


def plan_revise_once(
    *,
    plan: Plan,
    actor: Actor,
    draft: RevisionDraft,
    key: str,
    request_hash: str,
    render: Callable[[PlanRevision], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """plan_revise at most once per (team, Idempotency-Key), as plan submission is: returns the
    response and whether it is a replay. Raises IdempotencyConflict for the key used with
    another request, and what plan_revise raises (storing nothing, so the key stays free)."""
    return services.run_once(
        team=plan.team,
        key=key,
        request_hash=request_hash,
        status_code=201,
        make=lambda: render(plan_revise(plan=plan, actor=actor, draft=draft)),
    )


def step_drafts(content: dict[str, Any]) -> list[StepDraft]:
    """The steps of a revision's content as drafts, to submit again with some fields changed."""
    names = {f.name for f in fields(StepDraft)}
    return [
        StepDraft(**{k: v for k, v in step.items() if k in names}, loc=("steps", i))
        for i, step in enumerate(content["steps"])
    ]
