"""Requesting changes to a draft: bound to the version seen, with comments and an event."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.discussion import selectors as discussion
from plans.discussion.services import plan_request_changes
from plans.models import CommentKind, PlanComment, PlanEvent
from plans.states import InvalidTransition, StaleVersion
from plans.validation import PlanInvalid
from tests.factories import approve, step, submit_plan
from tests.plans.discussion.support import revise


def alice(reviewer: Any) -> services.Actor:
    return services.Actor.for_user(reviewer)


def test_it_sends_a_draft_back_with_its_comments(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])

    plan = plan_request_changes(
        plan=plan,
        actor=alice(reviewer),
        version=1,
        comment="  Use the **EU** figures.  ",
        step_comments={"b": "Draft in German."},
    )

    assert (plan.status, plan.version) == ("changes_requested", 1)
    comments = list(PlanComment.objects.filter(plan=plan).values_list("step_key", "body", "kind"))
    assert comments == [
        ("", "Use the **EU** figures.", CommentKind.CHANGE_REQUEST),
        ("b", "Draft in German.", CommentKind.CHANGE_REQUEST),
    ]
    event = PlanEvent.objects.filter(plan=plan).latest("id")
    assert (event.kind, event.actor) == ("plan.changes_requested", "user:alice")
    assert event.data == {
        "version": 1,
        "comment": "Use the **EU** figures.",
        "step_comments": {"b": "Draft in German."},
    }
    request = discussion.latest_change_request(plan)
    assert request is not None
    assert (request.by, request.comment, request.step_comments) == (
        "user:alice",
        "Use the **EU** figures.",
        {"b": "Draft in German."},
    )


def test_it_refuses_a_version_the_reviewer_did_not_see(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Late finding")
    )

    with pytest.raises(StaleVersion) as refused:
        plan_request_changes(plan=plan, actor=alice(reviewer), version=1, comment="Redo it")

    assert refused.value.current_version == 2
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert not PlanComment.objects.filter(plan=plan).exists()


def test_it_requires_a_comment_and_known_steps(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a")])

    with pytest.raises(PlanInvalid) as refused:
        plan_request_changes(
            plan=plan,
            actor=alice(reviewer),
            version=1,
            comment="   ",
            step_comments={"a": "fine", "zz": "what is this?"},
        )

    assert [(p.loc, p.msg) for p in refused.value.problems] == [
        (("comment",), "must not be empty"),
        (("step_comments", "zz"), "no step 'zz' in this plan"),
    ]
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert not PlanComment.objects.filter(plan=plan).exists()
    assert PlanEvent.objects.filter(plan=plan).count() == 1


def test_it_only_sends_back_drafts(reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team))

    with pytest.raises(InvalidTransition, match="cannot request changes to a plan that is appr"):
        plan_request_changes(plan=plan, actor=alice(reviewer), version=1, comment="Too late")


def test_a_plan_with_changes_requested_cannot_be_approved_until_revised(
    reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    plan_request_changes(plan=plan, actor=alice(reviewer), version=1, comment="Redo it")

    with pytest.raises(InvalidTransition, match="cannot approve a plan that is changes_requested"):
        services.plan_approve(plan=plan, actor=alice(reviewer), version=1)
    with pytest.raises(InvalidTransition):
        plan_request_changes(plan=plan, actor=alice(reviewer), version=1, comment="Again")

    revise(plan)
    approved = services.plan_approve(plan=plan, actor=alice(reviewer), version=2)
    assert approved.status == "approved"


def test_a_plan_with_changes_requested_may_be_cancelled(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    plan_request_changes(plan=plan, actor=alice(reviewer), version=1, comment="Redo it")

    cancelled = services.plan_cancel(plan=plan, actor=alice(reviewer), reason="not needed")

    assert cancelled.status == "cancelled"
