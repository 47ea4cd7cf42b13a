"""Replacing a plan's content with a new revision while it is under review."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan, PlanEvent, PlanRevision
from plans.revisions.services import RevisionDraft, plan_revise
from plans.services import Actor
from plans.states import InvalidTransition, StaleVersion
from plans.validation import PlanInvalid
from tests.factories import approve, step, submit_plan

ACTOR = Actor(label="user:bob")


def test_it_replaces_the_steps_as_the_next_version(team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")], title="Old")
    revision = plan_revise(
        plan=plan,
        actor=ACTOR,
        draft=RevisionDraft(
            base_version=1,
            steps=[step("a", params={"x": 2}), step("c", "a", task="new")],
            title="New",
            comment="split it",
        ),
    )
    plan.refresh_from_db()
    assert plan.version == revision.version == 2
    assert plan.title == "New"
    assert [(s.key, s.params, s.waiting_on) for s in plan.steps.order_by("position")] == [
        ("a", {"x": 2}, 0),
        ("c", {}, 1),
    ]
    assert revision.actor == "user:bob"
    assert revision.comment == "split it"
    event = PlanEvent.objects.filter(plan=plan).latest("id")
    assert event.kind == "plan.revised"
    assert event.actor == "user:bob"
    assert event.data["version"] == 2
    assert event.data["comment"] == "split it"


def test_it_refuses_a_stale_base_version_and_writes_nothing(team: Any) -> None:
    plan = submit_plan(team)
    plan_revise(plan=plan, actor=ACTOR, draft=RevisionDraft(base_version=1, steps=[step("z")]))
    with pytest.raises(StaleVersion) as refused:
        plan_revise(plan=plan, actor=ACTOR, draft=RevisionDraft(base_version=1, steps=[step("y")]))
    assert refused.value.current_version == 2
    assert list(Plan.objects.get(pk=plan.pk).steps.values_list("key", flat=True)) == ["z"]
    assert PlanRevision.objects.filter(plan=plan).count() == 2


def test_it_lists_every_problem_and_writes_nothing(team: Any) -> None:
    plan = submit_plan(team)
    bad = [
        step("a", "nope", loc=("steps", 0)),
        step("a", executor="missing", loc=("steps", 1)),
    ]
    with pytest.raises(PlanInvalid) as invalid:
        plan_revise(plan=plan, actor=ACTOR, draft=RevisionDraft(base_version=1, steps=bad))
    paths = {p.path for p in invalid.value.problems}
    assert paths == {"steps[1].key", "steps[1].executor", "steps[0].depends_on[0]"}
    plan.refresh_from_db()
    assert plan.version == 1
    assert list(plan.steps.values_list("key", flat=True)) == ["a", "b"]
    assert PlanRevision.objects.filter(plan=plan).count() == 1


def test_it_makes_a_plan_with_changes_requested_a_draft_again(team: Any) -> None:
    plan = submit_plan(team)
    Plan.objects.filter(pk=plan.pk).update(status="changes_requested")
    plan_revise(plan=plan, actor=ACTOR, draft=RevisionDraft(base_version=1, steps=[step("a")]))
    plan.refresh_from_db()
    assert (plan.status, plan.version) == ("draft", 2)


def test_it_refuses_an_approved_plan(team: Any) -> None:
    plan = approve(submit_plan(team))
    with pytest.raises(InvalidTransition, match="cannot revise a plan that is approved"):
        plan_revise(plan=plan, actor=ACTOR, draft=RevisionDraft(base_version=1, steps=[step("a")]))


def test_approval_records_the_revisions_hash_and_refuses_diverged_steps(team: Any) -> None:
    plan = submit_plan(team)
    # A change that bypassed the revision services: what would run is not what revision 1 says.
    plan.steps.filter(key="a").update(params={"sneaked": True})
    from plans import services
    from plans.states import DomainError

    with pytest.raises(DomainError, match="does not match its revision 1"):
        services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)
    plan.steps.filter(key="a").update(params={})
    approved = services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)
    revision = PlanRevision.objects.get(plan=plan, version=1)
    assert approved.approved_content_hash == revision.content_hash
    event = PlanEvent.objects.filter(plan=plan, kind="plan.approved").get()
    assert event.data["content_hash"] == revision.content_hash
