"""Cancelling a plan stops its running step: the executor is told, its late result refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from executors.builtin import functions
from executors.protocol import StepSpec
from plans import services
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_until_idle, steps_of, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

RETURNED: list[dict[str, Any]] = []


def nap(spec: StepSpec) -> dict[str, Any]:
    """The builtin sleep, remembering what it returned (the worker's result is refused)."""
    result = functions.sleep(spec)
    RETURNED.append(result)
    return result


def test_it_stops_a_running_step_when_its_plan_is_cancelled(team, worker, allow_functions, caplog):
    caplog.set_level(logging.INFO, logger="orchestration.engine.worker")
    allow_functions(nap=f"{__name__}.nap")
    RETURNED.clear()
    plan = approve(
        submit_plan(
            team,
            [
                step("a", executor="python", params={"function": "nap", "seconds": 30}),
                step("b", "a"),
            ],
        )
    )
    # Starting the plan claims its first steps.
    assert worker.start_approved_plans()
    assert worker.running

    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="changed my mind")
    assert worker.signal_cancelled_steps()
    assert worker.running == {}
    run_until_idle(worker, timeout=5)
    wait_for(lambda: RETURNED, "the executor to return")

    assert RETURNED[0]["cancelled"] is True
    assert RETURNED[0]["slept"] < 1
    assert "was stopped (plan cancelled" in caplog.text
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    steps = steps_of(plan)
    assert (steps["a"].status, steps["a"].error, steps["a"].result) == ("failed", "cancelled", None)
    assert steps["a"].failure_class == "cancelled"
    assert (steps["b"].status, steps["b"].skip_reason) == ("skipped", "plan cancelled")
    assert steps["b"].attempts == 0
    events = events_of(plan)
    assert events[-2:] == [("step.started", "a"), ("plan.cancelled", "")]
    assert not worker.run_once()
