"""A reviewer skips the failed step: its dependents go on without its result."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.services import SYSTEM
from plans.states import InvalidTransition
from tests.factories import step
from tests.orchestration.support import steps_of
from tests.plans.rescue.support import claim_all, fail, needing_attention, started, succeed

pytestmark = pytest.mark.django_db


def test_it_lets_the_dependents_run_without_its_result(team: Any) -> None:
    plan = needing_attention(team)

    services.step_skip(plan=plan, key="fetch", actor=SYSTEM, reason="fetched by hand")

    plan.refresh_from_db()
    assert plan.status == "executing"
    (report,) = claim_all()
    assert (report.key, report.inputs) == ("report", {})
    succeed(report)
    (tidy,) = claim_all()
    succeed(tidy)
    plan.refresh_from_db()
    assert plan.status == "completed"
    fetch = steps_of(plan)["fetch"]
    assert (fetch.status, fetch.skip_reason) == ("skipped", "fetched by hand")


def test_it_completes_the_plan_when_nothing_is_left(team: Any) -> None:
    plan = started(team, [step("only", on_failure="ask")])
    (only,) = claim_all()
    fail(only)

    services.step_skip(plan=plan, key="only", actor=SYSTEM, reason="not needed after all")

    plan.refresh_from_db()
    assert plan.status == "completed"


def test_it_refuses_to_skip_a_failed_step_of_an_executing_plan(team: Any) -> None:
    plan = started(team, [step("fetch"), step("other", "fetch")])
    claims = claim_all()
    fail(claims[0])

    with pytest.raises(InvalidTransition):
        services.step_skip(plan=plan, key="fetch", actor=SYSTEM, reason="x")
