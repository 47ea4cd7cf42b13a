"""An executor that keeps failing is paused: its steps wait instead of failing, then it is tried
again after the cool-down and resumes or is paused again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from executors import registry
from executors.protocol import FailureClass, StepOutcome, StepSpec
from orchestration.engine.worker import Worker
from plans import circuits
from plans.models import Plan
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

COOLDOWN = 1.0


class Upstream:
    """Fails with an executor error while `failing` is set, like a service that is down."""

    failing = True
    runs = 0

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        Upstream.runs += 1
        if Upstream.failing:
            return StepOutcome.failure("upstream: 503", FailureClass.EXECUTOR_ERROR)
        return StepOutcome.success({"ok": True})


@pytest.fixture(autouse=True)
def upstream(settings: Any) -> Iterator[type[Upstream]]:
    settings.PLANGATE_EXECUTORS = {
        **settings.PLANGATE_EXECUTORS,
        "upstream": f"{__name__}.Upstream",
    }
    settings.PLANGATE_BREAKER_FAILURES = 3
    settings.PLANGATE_BREAKER_COOLDOWN_SECONDS = COOLDOWN
    registry.clear_cache()
    Upstream.failing, Upstream.runs = True, 0
    yield Upstream
    registry.clear_cache()


def one_step_plan(team: Any, n: int) -> Plan:
    return approve(
        submit_plan(team, [step("call", executor="upstream", max_attempts=1)], goal=f"plan {n}")
    )


def circuit() -> circuits.Circuit:
    (found,) = circuits.circuits_for(["upstream"])
    return found


def trip(team: Any, worker: Worker) -> None:
    """Three plans whose step fails: the third failure in a row opens the circuit."""
    plans = [one_step_plan(team, n) for n in range(3)]
    run_until_idle(worker)
    assert [steps_of(p)["call"].status for p in plans] == ["failed"] * 3
    assert (circuit().state, circuit().consecutive_failures) == ("open", 3)
    assert circuit().last_error == "upstream: 503"


def wait_for_half_open() -> None:
    until = circuit().open_until
    assert until is not None
    time.sleep(max((until - timezone.now()).total_seconds(), 0) + 0.05)
    assert circuit().state == "half_open"


def assert_waits(plan: Plan, worker: Worker, seconds: float = 0.3) -> None:
    """Rounds of the worker for a while: the step is neither started nor failed."""
    deadline = time.monotonic() + seconds
    runs = Upstream.runs
    while time.monotonic() < deadline:
        worker.run_once()
        time.sleep(0.02)
    call = steps_of(plan)["call"]
    assert (call.status, call.attempts) == ("pending", 0)
    assert Upstream.runs == runs
    plan.refresh_from_db()
    assert plan.status == "executing"


def test_it_pauses_the_executor_then_one_success_after_the_cool_down_closes_it(team, worker):
    trip(team, worker)

    waiting = one_step_plan(team, 3)
    assert_waits(waiting, worker)

    wait_for_half_open()
    Upstream.failing = False
    run_until(worker, lambda: steps_of(waiting)["call"].status == "completed", "the step to run")

    assert (circuit().state, circuit().consecutive_failures, circuit().open_until) == (
        "closed",
        0,
        None,
    )
    waiting.refresh_from_db()
    assert waiting.status == "completed"
    assert steps_of(waiting)["call"].attempts == 1


def test_a_failure_while_half_open_pauses_it_again(team, worker):
    trip(team, worker)
    first_until = circuit().open_until
    assert first_until is not None
    wait_for_half_open()

    trial = one_step_plan(team, 3)
    run_until(worker, lambda: steps_of(trial)["call"].status == "failed", "the trial to fail")

    assert circuit().state == "open"
    assert circuit().consecutive_failures == 4
    reopened = circuit().open_until
    assert reopened is not None and reopened > first_until
    # Paused again: the next plan's step waits.
    assert_waits(one_step_plan(team, 4), worker)
