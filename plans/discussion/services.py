"""Talk about a plan: comments on it or its steps, and a reviewer's request for changes.

A comment changes nothing a reviewer approves (the plan's version stays), so it is allowed in any
status. A request for changes moves a draft to changes_requested, bound to the version the
reviewer saw, like an approval; a new revision makes it a draft again.
"""

from __future__ import annotations

from django.db import transaction

from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.models import CommentKind, EventKind, Plan, PlanComment
from plans.services import Actor, _lock, _record
from plans.states import PlanStatus, StaleVersion, plan_transition
from plans.validation import PlanInvalid, Problem

# Longest comment, in characters: a long review, not a document.
COMMENT_MAX_LENGTH = 20_000


def _check_body(body: str, loc: tuple[str | int, ...], problems: list[Problem]) -> str:
    text = body.strip()
    if not text:
        problems.append(Problem(loc, "must not be empty"))
    elif "\x00" in text:
        # PostgreSQL cannot store NUL in text.
        problems.append(Problem(loc, "must not contain NUL characters (\\u0000)"))
    elif len(text) > COMMENT_MAX_LENGTH:
        problems.append(Problem(loc, f"must be at most {COMMENT_MAX_LENGTH:,} characters"))
    return text


def _unknown_keys(plan: Plan, keys: list[str]) -> set[str]:
    # A key holding NUL names no step (submission refuses them), and PostgreSQL cannot even
    # compare it: leave it out of the query.
    wanted = {k for k in keys if "\x00" not in k}
    known = set(plan.steps.filter(key__in=wanted).values_list("key", flat=True))
    return set(keys) - known


@transaction.atomic
def comment_add(*, plan: Plan, actor: Actor, body: str, step_key: str = "") -> PlanComment:
    """Add a comment (markdown) on the plan, or on its step `step_key`, in any status. The
    version stays as it is. Raises PlanInvalid for an empty, too long or NUL-holding body and
    for a key that names no step of the plan."""
    # Under the plan's lock like every write of its events: they then commit in id order, which
    # open pages rely on to catch up from the last event they showed.
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.COMMENT)
    problems: list[Problem] = []
    text = _check_body(body, ("body",), problems)
    if step_key and _unknown_keys(plan, [step_key]):
        problems.append(Problem(("step_key",), f"no step {step_key!r} in this plan"))
    if problems:
        raise PlanInvalid(problems)
    comment = PlanComment.objects.create(
        plan=plan,
        step_key=step_key,
        body=text,
        kind=CommentKind.COMMENT,
        version=plan.version,
        actor=actor.label,
        actor_user=actor.user,
    )
    _record(
        plan,
        EventKind.COMMENT_ADDED,
        actor,
        step_key=step_key,
        data={"comment_id": comment.pk, "body": text[:200]},
    )
    return comment


@transaction.atomic
def plan_request_changes(
    *,
    plan: Plan,
    actor: Actor,
    version: int,
    comment: str,
    step_comments: dict[str, str] | None = None,
) -> Plan:
    """Send a draft back to its author: what should change (`comment`, required) and, by step
    key, what should change in those steps.

    Bound to `version`, the one the reviewer saw. Raises InvalidTransition unless the plan is a
    draft, StaleVersion if it changed since, and PlanInvalid for an empty or too long comment or
    a key that names no step of the plan. The comments are kept as the plan's comments.
    """
    # Locked first: a racing approval, cancel or second request waits here, and whichever
    # commits second sees the new status and is refused.
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.REQUEST_CHANGES)
    plan_transition(plan.status, PlanStatus.CHANGES_REQUESTED)
    if version != plan.version:
        raise StaleVersion(
            f"the plan changed since version {version}; "
            f"review version {plan.version} before requesting changes",
            current_version=plan.version,
        )
    problems: list[Problem] = []
    text = _check_body(comment, ("comment",), problems)
    by_step = {
        key: _check_body(body, ("step_comments", key), problems)
        for key, body in (step_comments or {}).items()
    }
    problems.extend(
        Problem(("step_comments", key), f"no step {key!r} in this plan")
        for key in sorted(_unknown_keys(plan, list(by_step)))
    )
    if problems:
        raise PlanInvalid(problems)
    PlanComment.objects.bulk_create(
        PlanComment(
            plan=plan,
            step_key=key,
            body=body,
            kind=CommentKind.CHANGE_REQUEST,
            version=plan.version,
            actor=actor.label,
            actor_user=actor.user,
        )
        for key, body in [("", text), *by_step.items()]
    )
    plan.status = PlanStatus.CHANGES_REQUESTED
    plan.save(update_fields=["status", "updated_at"])
    _record(
        plan,
        EventKind.PLAN_CHANGES_REQUESTED,
        actor,
        data={"version": plan.version, "comment": text, "step_comments": by_step},
    )
    return plan
