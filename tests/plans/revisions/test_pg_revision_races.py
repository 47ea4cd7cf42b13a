"""Racing revisions: of two on the same base version, or a revision and an approval, exactly one
wins and the other is refused."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.models import Plan, PlanEvent, PlanRevision
from plans.revisions.services import RevisionDraft, plan_revise
from tests.factories import step, submit_plan
from tests.plans.test_races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_revisions_on_the_same_base_have_one_winner(team: Any) -> None:
    for _ in range(5):
        plan = submit_plan(team)
        calls = [
            lambda k=key, p=plan: plan_revise(
                plan=p,
                actor=services.SYSTEM,
                draft=RevisionDraft(base_version=1, steps=[step(k)]),
            )
            for key in ("x", "y", "z")
        ]
        results = race(calls)
        assert results.count("ok") == 1, results
        assert all("the plan is at version 2, not 1" in r for r in results if r != "ok")
        assert PlanRevision.objects.filter(plan=plan).count() == 2
        assert PlanEvent.objects.filter(plan=plan, kind="plan.revised").count() == 1
        winner = "xyz"[results.index("ok")]
        assert list(Plan.objects.get(pk=plan.pk).steps.values_list("key", flat=True)) == [winner]


def test_a_revision_racing_an_approval_has_one_winner(team: Any) -> None:
    for _ in range(5):
        plan = submit_plan(team)
        revise = lambda p=plan: plan_revise(  # noqa: E731
            plan=p, actor=services.SYSTEM, draft=RevisionDraft(base_version=1, steps=[step("x")])
        )
        approve = lambda p=plan: services.plan_approve(plan=p, actor=services.SYSTEM, version=1)  # noqa: E731
        results = race([revise, approve])
        assert results.count("ok") == 1, results
        plan.refresh_from_db()
        if results[0] == "ok":
            assert (plan.status, plan.version) == ("draft", 2)
        else:
            assert plan.status == "approved"
            assert (
                plan.approved_content_hash
                == PlanRevision.objects.get(plan=plan, version=1).content_hash
            )
            assert list(plan.steps.values_list("key", flat=True)) == ["a", "b"]
