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
from plans import selectors
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


def circuit(team: Any) -> selectors.Circuit:
    (found,) = selectors.circuits_for(team.pk, ["upstream"])
    return found


def trip(team: Any, worker: Worker) -> list[Plan]:
    """Three plans whose step fails: the third failure in a row opens the circuit, and that
    third step, failed by the executor rather than by itself, waits instead of failing."""
    plans = [one_step_plan(team, n) for n in range(3)]
    run_until_idle(worker)
    assert [steps_of(p)["call"].status for p in plans] == ["failed", "failed", "pending"]
    assert (circuit(team).state, circuit(team).consecutive_failures) == ("open", 3)
    assert circuit(team).last_error == "upstream: 503"
    third = steps_of(plans[2])["call"]
    assert (third.attempts, third.spared_attempts, third.max_attempts) == (1, 1, 1)
    return plans


def wait_for_half_open(team: Any) -> None:
    until = circuit(team).open_until
    assert until is not None
    time.sleep(max((until - timezone.now()).total_seconds(), 0) + 0.05)
    assert circuit(team).state == "half_open"


def assert_waits(plan: Plan, worker: Worker, seconds: float = 0.3) -> None:
    """Rounds of the worker for a while: the step is neither started nor failed."""
    deadline = time.monotonic() + seconds
    runs = Upstream.runs
    attempts = steps_of(plan)["call"].attempts
    while time.monotonic() < deadline:
        worker.run_once()
        time.sleep(0.02)
    call = steps_of(plan)["call"]
    assert (call.status, call.attempts) == ("pending", attempts)
    assert Upstream.runs == runs
    plan.refresh_from_db()
    assert plan.status == "executing"


def test_it_pauses_the_executor_then_one_success_after_the_cool_down_closes_it(team, worker):
    tripped = trip(team, worker)

    waiting = one_step_plan(team, 3)
    assert_waits(waiting, worker)
    assert_waits(tripped[2], worker)

    wait_for_half_open(team)
    Upstream.failing = False
    run_until(worker, lambda: steps_of(waiting)["call"].status == "completed", "the step to run")

    assert (
        circuit(team).state,
        circuit(team).consecutive_failures,
        circuit(team).open_until,
    ) == ("closed", 0, None)
    waiting.refresh_from_db()
    assert waiting.status == "completed"
    assert steps_of(waiting)["call"].attempts == 1
    # The step that failed as the circuit opened ran again, though it had one attempt only.
    run_until(worker, lambda: steps_of(tripped[2])["call"].status == "completed", "the retry")
    assert steps_of(tripped[2])["call"].attempts == 2


def test_a_half_open_circuit_lets_one_trial_through_and_a_failure_pauses_it_again(team, worker):
    tripped = trip(team, worker)
    first_until = circuit(team).open_until
    assert first_until is not None
    waiting = [one_step_plan(team, n) for n in range(3, 6)]
    wait_for_half_open(team)
    runs = Upstream.runs

    run_until(worker, lambda: circuit(team).state == "open", "the trial to fail")
    for _ in range(10):
        worker.run_once()

    # One step was tried, not every waiting one; it failed and waits again, unfailed.
    assert Upstream.runs == runs + 1
    assert circuit(team).consecutive_failures == 4
    reopened = circuit(team).open_until
    assert reopened is not None and reopened > first_until
    calls = [steps_of(p)["call"] for p in [tripped[2], *waiting]]
    assert {c.status for c in calls} == {"pending"}
    assert sorted(c.attempts for c in calls) == [0, 0, 0, 2]
    assert_waits(waiting[0], worker)


def test_one_teams_failures_do_not_pause_another_team(team, other_team, worker):
    trip(team, worker)

    theirs = one_step_plan(other_team, 9)
    Upstream.failing = False
    run_until_idle(worker)

    assert steps_of(theirs)["call"].status == "completed"
    assert circuit(other_team).state == "closed"
    assert circuit(team).state == "open"
