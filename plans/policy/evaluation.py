"""The team's policy applied to a plan being submitted or revised: what it looks at, refusing
what it forbids, and the changes it makes to the steps and the submission.

Called by plans/services.py (`plan_submit`) and plans/revisions/services.py (`plan_revise`) in
their transactions, after the content is validated and before anything is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from plans.budgets import rules as budget_rules
from plans.models import Membership, PolicyVersion, Team
from plans.policy import rules
from plans.policy.rules import Evaluation, PlanFacts, StepFacts
from plans.validation import PlanInvalid, StepDraft

T = TypeVar("T")


def policy_in_force(team: Team) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(team=team).order_by("-version").first()


def submitter_role(*, team: Team, actor: Any) -> str:
    """The role permissions match: a token's agent role, or a person's role in the team."""
    if actor.token is not None:
        return str(actor.token.agent_role)
    if actor.user is not None:
        role = (
            Membership.objects.filter(team=team, user=actor.user)
            .values_list("role", flat=True)
            .first()
        )
        return role or ""
    return ""


def plan_evaluate(
    *,
    team: Team,
    actor: Any,
    user_id: str,
    topic_id: str,
    tags: Sequence[str],
    steps: Sequence[StepDraft],
) -> Evaluation:
    """What the team's policy in force decides about these steps, submitted by `actor`.

    Raises PlanInvalid naming each forbidding rule (or denying permission) and the steps it
    matched, so the caller writes nothing.
    """
    current = policy_in_force(team)
    if current is None:
        return Evaluation(version=None)
    token = actor.token
    facts = PlanFacts(
        steps=[
            StepFacts(
                key=d.key,
                executor=d.executor,
                params=d.params,
                estimated_cost=budget_rules.amount(d.estimated_cost),
                loc=d.loc,
            )
            for d in steps
        ],
        user_id=user_id,
        topic_id=topic_id,
        tags=list(tags),
        token_name=None if token is None else token.name,
        token_prefix=None if token is None else token.prefix,
        role=submitter_role(team=team, actor=actor),
    )
    evaluation = rules.evaluate(current.document, facts, version=current.version)
    refusals = evaluation.refusals()
    if refusals:
        raise PlanInvalid(refusals)
    return evaluation


def gated(evaluation: Evaluation, steps: list[StepDraft]) -> list[StepDraft]:
    """The steps with those the policy gates made gates (a step that is one already keeps its
    own quorum)."""
    keys = set(evaluation.gated_steps)
    return [
        dataclasses.replace(d, approval="required") if d.key in keys and d.approval == "none" else d
        for d in steps
    ]


def with_decision(evaluation: Evaluation, submission: T, *, team_approvals: int) -> T:
    """The submission with the quorum and deadline the policy sets: at least the rule's count of
    approvals (from its group, if it names one), and the rule's deadline instead of the
    submission's."""
    changes: dict[str, Any] = {}
    quorum = evaluation.approvals
    if quorum is not None:
        asked = getattr(submission, "required_approvals", None) or team_approvals
        changes["required_approvals"] = max(asked, quorum.options["count"])
        if quorum.options.get("group"):
            changes["approver_group"] = quorum.options["group"]
    deadline = evaluation.deadline
    if deadline is not None:
        changes["decision_deadline"] = deadline.options["seconds"]
        changes["on_timeout"] = deadline.options["on_timeout"]
    return dataclasses.replace(submission, **changes) if changes else submission  # type: ignore[type-var]


def raise_quorum(evaluation: Evaluation, plan: Any) -> list[str]:
    """At a revision: the plan's quorum raised to what the policy requires. Returns the fields
    changed, to save."""
    quorum = evaluation.approvals
    if quorum is None:
        return []
    plan.required_approvals = max(plan.required_approvals, quorum.options["count"])
    changed = ["required_approvals"]
    if quorum.options.get("group"):
        plan.approver_group = plan.team.approver_groups.get(name=quorum.options["group"])
        changed.append("approver_group")
    return changed


def revised_deadline(evaluation: Evaluation, plan: Any) -> list[str]:
    """At a revision: a deadline the policy sets, counted from the plan's submission (revising
    does not reset the wait), if the plan has none in force or a later one. Returns the fields
    changed, to save; the caller then writes the timers of the deadline in force."""
    rule = evaluation.deadline
    if rule is None:
        return []
    deadline_at = plan.created_at + timedelta(seconds=rule.options["seconds"])
    if plan.deadline_at is not None and plan.deadline_at <= deadline_at:
        return []
    plan.decision_deadline = plan.deadline_at = deadline_at
    plan.on_timeout = rule.options["on_timeout"]
    return ["decision_deadline", "deadline_at", "on_timeout"]
