"""A new version of a plan leaves the approvals of the earlier one uncounted."""

from __future__ import annotations

from plans import services
from plans.approvals.selectors import plan_quorum
from plans.revisions.services import RevisionDraft, plan_revise
from tests.factories import step, submit_plan
from tests.plans.approvals.support import by, person


def test_it_counts_only_the_approvals_of_the_current_version(team, reviewer):
    bob = person(team, "bob")
    plan = submit_plan(team, [step("a")], required_approvals=2)
    services.plan_approve(plan=plan, actor=by(reviewer), version=1)

    plan_revise(
        plan=plan, actor=services.SYSTEM, draft=RevisionDraft(base_version=1, steps=[step("b")])
    )
    plan.refresh_from_db()

    assert plan_quorum(plan).as_dict() == {
        "required": 2,
        "count": 0,
        "by": [],
        "group": None,
        "needed": 2,
    }
    assert services.plan_approve(plan=plan, actor=by(bob), version=2).status == "draft"
    assert services.plan_approve(plan=plan, actor=by(reviewer), version=2).status == "approved"
