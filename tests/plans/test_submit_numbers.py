"""A plan submitted through the services (a checkpoint, a planner, a team's default deadline)
with whole numbers where the steps store floats is approvable: its revision holds the values as
they read back."""

from __future__ import annotations

from typing import Any

from plans import services
from plans.revisions.content import plan_content_hash
from tests.factories import step, submit_plan


def test_whole_seconds_are_recorded_as_they_read_back_and_the_plan_is_approvable(
    team: Any,
) -> None:
    plan = submit_plan(
        team,
        [
            step("a", timeout_seconds=30, max_attempts=2),
            step("b", "a", approval="required", decision_deadline=3600),
        ],
    )

    assert plan.revisions.get(version=1).content_hash == plan_content_hash(plan)
    approved = services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)
    assert approved.status == "approved"
