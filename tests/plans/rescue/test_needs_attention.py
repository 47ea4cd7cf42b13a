"""A step that asks when it fails holds its plan for a reviewer instead of failing it."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import PlanStep
from tests.factories import step
from tests.orchestration.support import events_of, steps_of
from tests.plans.rescue.support import claim_all, fail, needing_attention, started, succeed

pytestmark = pytest.mark.django_db


def test_it_holds_the_plan_when_a_step_that_asks_fails(team: Any) -> None:
    plan = needing_attention(team)

    steps = steps_of(plan)
    assert (steps["fetch"].status, steps["fetch"].error) == ("failed", "the tool broke")
    # Its dependents wait: they are not failed as dependency_failed.
    assert steps["report"].status == "pending"
    assert steps["report"].failure_class == ""
    assert steps["tidy"].status == "pending"
    assert plan.version == 2
    event = plan.events.order_by("id").last()
    assert event.kind == "plan.needs_attention"
    assert event.step_key == "fetch"
    assert event.data["error"] == "the tool broke"
    assert event.data["version"] == 2


def test_it_starts_nothing_while_the_plan_needs_attention(team: Any) -> None:
    plan = started(
        team,
        [step("fetch", on_failure="ask", max_attempts=1), step("other"), step("third", "other")],
        max_concurrency=1,
    )
    (fetch,) = claim_all()
    fail(fetch)
    plan.refresh_from_db()

    assert plan.status == "needs_attention"
    # The independent steps hold too: the reviewer decides on a picture that stays still.
    assert claim_all() == []
    assert PlanStep.objects.get(plan=plan, key="other").status == "pending"


def test_it_records_the_steps_in_flight_while_the_plan_needs_attention(team: Any) -> None:
    plan = started(team, [step("fetch", on_failure="ask"), step("other"), step("after", "other")])
    claims = {c.key: c for c in claim_all()}
    fail(claims["fetch"])
    succeed(claims["other"], ["other done"])

    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    steps = steps_of(plan)
    assert (steps["other"].status, steps["other"].result) == ("completed", ["other done"])
    assert steps["after"].status == "pending"
    assert claim_all() == []


def test_it_takes_the_plans_default(team: Any) -> None:
    plan = started(
        team, [step("fetch"), step("report", "fetch", on_failure="fail")], on_failure="ask"
    )

    assert {k: s.on_failure for k, s in steps_of(plan).items()} == {
        "fetch": "ask",
        "report": "fail",
    }
    (fetch,) = claim_all()
    fail(fetch)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"


def test_it_fails_the_plan_as_before_when_the_step_does_not_ask(team: Any) -> None:
    plan = started(team, [step("fetch"), step("report", "fetch")])
    (fetch,) = claim_all()
    fail(fetch)

    plan.refresh_from_db()
    assert plan.status == "failed"
    assert steps_of(plan)["report"].failure_class == "dependency_failed"
    assert ("plan.needs_attention", "fetch") not in events_of(plan)


def test_it_fails_the_plan_when_a_step_that_does_not_ask_fails_meanwhile(team: Any) -> None:
    plan = started(team, [step("fetch", on_failure="ask"), step("other"), step("after", "other")])
    claims = {c.key: c for c in claim_all()}
    fail(claims["fetch"])
    fail(claims["other"], "other broke")

    plan.refresh_from_db()
    assert plan.status == "failed"
    steps = steps_of(plan)
    assert steps["after"].failure_class == "dependency_failed"
