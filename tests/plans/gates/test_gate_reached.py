"""A gated step waits for a reviewer once its dependencies are done; independent steps go on."""

from __future__ import annotations

import pytest

from executors.protocol import StepOutcome
from orchestration.engine import queue
from plans import services
from tests.factories import approve, claim, finish, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db


def _start(plan):
    plan = approve(plan)
    assert services.plan_start(plan=plan, actor=services.SYSTEM)
    plan.refresh_from_db()
    return plan


def test_it_holds_a_gated_step_without_dependencies_when_the_plan_starts(team):
    plan = _start(submit_plan(team, [step("deploy", approval="required"), step("notes")]))

    steps = steps_of(plan)
    assert steps["deploy"].status == "awaiting_approval"
    assert plan.status == "executing"
    # The independent step goes on.
    assert claim(plan, "notes").key == "notes"
    event = plan.events.get(kind="step.awaiting_approval")
    assert (event.step_key, event.data, event.actor) == ("deploy", {"inputs": []}, "system")


def test_it_holds_a_gated_step_when_its_dependency_completes(team):
    plan = _start(submit_plan(team, [step("fetch"), step("deploy", "fetch", approval="required")]))
    assert steps_of(plan)["deploy"].status == "pending"

    assert finish(claim(plan, "fetch"), StepOutcome.success({"rows": 3}))

    assert steps_of(plan)["deploy"].status == "awaiting_approval"
    event = plan.events.get(kind="step.awaiting_approval")
    assert event.data == {"inputs": ["fetch"]}
    # Nothing is ready: the worker does not take the gated step.
    assert queue.steps_claim(worker="t", actor=services.SYSTEM, limit=10, lease_seconds=60) == []
    plan.refresh_from_db()
    assert plan.status == "executing"


def test_it_holds_a_gated_step_whose_dependency_was_skipped(team):
    plan = _start(submit_plan(team, [step("fetch"), step("deploy", "fetch", approval="required")]))

    services.step_skip(plan=plan, key="fetch", actor=services.SYSTEM, reason="done by hand")

    assert steps_of(plan)["deploy"].status == "awaiting_approval"


def test_it_does_not_hold_gates_before_the_plan_starts(team):
    plan = submit_plan(team, [step("fetch"), step("deploy", "fetch", approval="required")])
    services.step_skip(plan=plan, key="fetch", actor=services.SYSTEM, reason="done by hand")
    assert steps_of(plan)["deploy"].status == "pending"

    _start(plan)

    assert steps_of(plan)["deploy"].status == "awaiting_approval"
