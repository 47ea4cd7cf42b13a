"""A deadline passing while changes are requested waits for the revision, which brings the same
deadline back: revising does not reset it."""

from __future__ import annotations

import pytest

from plans import services
from plans.discussion.services import plan_request_changes
from plans.revisions.services import RevisionDraft, plan_revise
from tests.factories import step
from tests.plans.deadlines.support import draft, due

pytestmark = pytest.mark.django_db


def test_it_cancels_at_once_when_a_revision_comes_after_the_deadline(team, reviewer, worker):
    plan = draft(team)
    deadline = plan.deadline_at
    plan_request_changes(
        plan=plan, actor=services.Actor.for_user(reviewer), version=1, comment="Add a check"
    )
    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status == "changes_requested"
    assert not plan.events.filter(kind="decision.timed_out").exists()

    plan_revise(
        plan=plan,
        actor=services.SYSTEM,
        draft=RevisionDraft(base_version=1, steps=[step("a"), step("check", "a")]),
    )
    plan.refresh_from_db()
    assert (plan.status, plan.deadline_at) == ("draft", deadline)
    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status == "cancelled"
