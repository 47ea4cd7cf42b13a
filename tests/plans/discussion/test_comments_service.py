"""Comments on a plan or a step: in any status, never changing the version, each an event."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.discussion import selectors as discussion
from plans.discussion.services import COMMENT_MAX_LENGTH, comment_add
from plans.models import CommentKind, PlanEvent
from plans.validation import PlanInvalid
from tests.factories import approve, step, submit_plan


def test_it_adds_comments_on_the_plan_and_its_steps(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    actor = services.Actor.for_user(reviewer)

    comment_add(plan=plan, actor=actor, body="Why *two* steps?")
    comment_add(plan=plan, actor=actor, body="This one could go.", step_key="b")

    comments = discussion.comments_for_plan(plan)
    assert [(c.step_key, c.body, c.kind, c.actor) for c in comments] == [
        ("", "Why *two* steps?", CommentKind.COMMENT, "user:alice"),
        ("b", "This one could go.", CommentKind.COMMENT, "user:alice"),
    ]
    events = list(PlanEvent.objects.filter(plan=plan, kind="comment.added"))
    assert [(e.step_key, e.data["comment_id"]) for e in events] == [
        ("", comments[0].pk),
        ("b", comments[1].pk),
    ]
    plan.refresh_from_db()
    assert (plan.status, plan.version) == ("draft", 1)


def test_it_allows_comments_on_a_running_plan(reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team))

    comment = comment_add(plan=plan, actor=services.Actor.for_user(reviewer), body="Watching.")

    assert comment.version == 1
    plan.refresh_from_db()
    assert (plan.status, plan.version) == ("approved", 1)


@pytest.mark.parametrize(
    ("body", "step_key", "problem"),
    [
        ("  ", "", ("body",)),
        ("x" * (COMMENT_MAX_LENGTH + 1), "", ("body",)),
        ("a\x00b", "", ("body",)),
        ("fine", "nope", ("step_key",)),
        ("fine", "a\x00", ("step_key",)),
    ],
)
def test_it_refuses_bad_comments(
    reviewer: Any, team: Any, body: str, step_key: str, problem: tuple[str]
) -> None:
    plan = submit_plan(team, [step("a")])

    with pytest.raises(PlanInvalid) as refused:
        comment_add(
            plan=plan, actor=services.Actor.for_user(reviewer), body=body, step_key=step_key
        )

    assert [p.loc for p in refused.value.problems] == [problem]
    assert discussion.comments_for_plan(plan) == []
    assert not PlanEvent.objects.filter(plan=plan, kind="comment.added").exists()
