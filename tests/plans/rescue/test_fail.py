"""A reviewer fails a plan that needs attention, or cancels it."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.rescue import services as rescue
from plans.services import SYSTEM
from plans.states import InvalidTransition, StaleVersion
from tests.factories import step
from tests.orchestration.support import steps_of
from tests.plans.rescue.support import claim_all, fail, needing_attention, started

pytestmark = pytest.mark.django_db


def test_it_fails_the_plan_as_any_failure_would(team: Any) -> None:
    plan = started(
        team,
        [
            step("fetch", on_failure="ask"),
            step("report", "fetch"),
            step("other"),
            step("after", "other"),
        ],
        max_concurrency=1,
    )
    (fetch,) = claim_all()
    fail(fetch)

    rescue.plan_fail(plan=plan, actor=SYSTEM, version=2, reason="the source is gone")

    plan.refresh_from_db()
    assert plan.status == "failed"
    assert plan.finished_at is not None
    steps = steps_of(plan)
    assert (steps["fetch"].status, steps["fetch"].error) == ("failed", "the tool broke")
    assert (steps["report"].status, steps["report"].failure_class) == (
        "failed",
        "dependency_failed",
    )
    assert (steps["other"].status, steps["other"].skip_reason) == ("skipped", "plan failed")
    event = plan.events.order_by("id").last()
    assert event.kind == "plan.failed"
    assert event.data["reason"] == "the source is gone"
    assert claim_all() == []


def test_it_stops_the_steps_still_running(team: Any) -> None:
    plan = started(team, [step("fetch", on_failure="ask"), step("slow")])
    claims = {c.key: c for c in claim_all()}
    fail(claims["fetch"])

    rescue.plan_fail(plan=plan, actor=SYSTEM, version=2, reason="enough")

    slow = steps_of(plan)["slow"]
    assert (slow.status, slow.failure_class) == ("failed", "cancelled")


def test_it_refuses_an_older_version(team: Any) -> None:
    plan = needing_attention(team)

    with pytest.raises(StaleVersion):
        rescue.plan_fail(plan=plan, actor=SYSTEM, version=1, reason="x")
    plan.refresh_from_db()
    assert plan.status == "needs_attention"


def test_it_refuses_a_plan_that_does_not_need_attention(team: Any) -> None:
    plan = started(team, [step("fetch")])

    with pytest.raises(InvalidTransition, match="the plan is executing"):
        rescue.plan_fail(plan=plan, actor=SYSTEM, version=plan.version, reason="x")


def test_it_cancels_a_plan_that_needs_attention(team: Any) -> None:
    plan = needing_attention(team)

    services.plan_cancel(plan=plan, actor=SYSTEM, reason="not wanted any more")

    plan.refresh_from_db()
    assert plan.status == "cancelled"
    steps = steps_of(plan)
    assert steps["report"].status == "skipped"
    assert steps["fetch"].status == "failed"
