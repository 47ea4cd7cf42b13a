"""A forbid rule refuses a revision as it refuses a submission: the plan stays as it was."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plans.models import DecisionTimer, PlanRevision
from plans.revisions.services import RevisionDraft, plan_revise
from plans.services import SYSTEM
from plans.validation import PlanInvalid
from tests.factories import step, submit_plan
from tests.plans.policy.support import matched, put_policy, rule


def test_it_refuses_a_revision_a_forbid_rule_holds_for_and_writes_nothing(team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    put_policy(team, [rule("no-python", "forbid", {"executor_in": ["python"]})])

    with pytest.raises(PlanInvalid, match="forbidden by rule 'no-python'"):
        plan_revise(
            plan=plan,
            actor=SYSTEM,
            draft=RevisionDraft(
                base_version=1,
                steps=[
                    step("a"),
                    step("b", executor="python", params={"function": "word_count", "text": "a b"}),
                ],
            ),
        )

    plan.refresh_from_db()
    assert plan.version == 1
    assert [s.key for s in plan.steps.all()] == ["a"]
    assert PlanRevision.objects.filter(plan=plan).count() == 1


def test_a_revision_is_evaluated_against_the_policy_in_force(team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    put_policy(team, [rule("gate-b", "require_gate", {"params": {"$.risky": {"equals": True}}})])

    revision = plan_revise(
        plan=plan,
        actor=SYSTEM,
        draft=RevisionDraft(base_version=1, steps=[step("a"), step("b", params={"risky": True})]),
    )

    assert revision.policy["matched"][0]["rule"] == "gate-b"
    assert plan.steps.get(key="b").approval == "required"
    assert matched(plan)["gate-b"]["steps"] == ["b"]


def test_a_deadline_rule_at_a_revision_counts_from_the_submission(team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    put_policy(
        team,
        [rule("answer-in-an-hour", "set_deadline", {}, seconds=3600, on_timeout="cancel")],
    )

    plan_revise(plan=plan, actor=SYSTEM, draft=RevisionDraft(base_version=1, steps=[step("a")]))

    plan.refresh_from_db()
    assert plan.deadline_at == plan.created_at + timedelta(hours=1)
    assert plan.on_timeout == "cancel"
    assert DecisionTimer.objects.filter(
        plan=plan, kind="deadline", deadline_at=plan.deadline_at, fired_at=None
    ).exists()


def test_a_deadline_rule_at_a_revision_never_moves_an_earlier_deadline_back(team: Any) -> None:
    plan = submit_plan(team, [step("a")], decision_deadline=600)
    earlier = plan.deadline_at
    put_policy(
        team,
        [rule("answer-in-an-hour", "set_deadline", {}, seconds=3600, on_timeout="cancel")],
    )

    plan_revise(plan=plan, actor=SYSTEM, draft=RevisionDraft(base_version=1, steps=[step("a")]))

    plan.refresh_from_db()
    assert plan.deadline_at == earlier
