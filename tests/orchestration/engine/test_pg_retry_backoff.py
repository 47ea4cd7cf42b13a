"""Failed attempts are retried after an exponential backoff, until one succeeds or the attempts
run out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from executors import registry
from executors.protocol import FailureClass, StepOutcome, StepSpec
from plans.models import Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until, steps_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE = 0.2


class ThirdTimeLucky:
    """Attempt 1 raises (an `unknown` failure), attempt 2 reports an executor error, attempt 3
    succeeds; `always_fail` makes every attempt report an executor error. Notes when each
    attempt began and ended."""

    always_fail = False
    times: list[tuple[float, float]] = []

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        began = time.time()
        try:
            if spec.attempt == 1 and not ThirdTimeLucky.always_fail:
                raise RuntimeError("connection reset")
            if spec.attempt == 2 or ThirdTimeLucky.always_fail:
                return StepOutcome.failure("upstream: 502", FailureClass.EXECUTOR_ERROR)
            return StepOutcome.success({"attempt": spec.attempt})
        finally:
            ThirdTimeLucky.times.append((began, time.time()))


@pytest.fixture(autouse=True)
def executor(settings: Any) -> Iterator[None]:
    settings.PLANGATE_EXECUTORS = {
        **settings.PLANGATE_EXECUTORS,
        "lucky": f"{__name__}.ThirdTimeLucky",
    }
    settings.PLANGATE_RETRY_BASE_SECONDS = BASE
    registry.clear_cache()
    ThirdTimeLucky.always_fail, ThirdTimeLucky.times = False, []
    yield
    registry.clear_cache()


def step_events(plan: Plan) -> list[PlanEvent]:
    return list(PlanEvent.objects.filter(plan=plan, step_key="a").order_by("id"))


def test_it_retries_with_growing_backoff_until_the_third_attempt_succeeds(team, worker):
    plan = approve(submit_plan(team, [step("a", executor="lucky", max_attempts=3)]))

    run_until(worker, lambda: steps_of(plan)["a"].status == "completed", "a to complete")

    a = steps_of(plan)["a"]
    assert (a.attempts, a.result) == (3, {"attempt": 3})
    events = step_events(plan)
    assert [e.kind for e in events] == [
        "step.started",
        "step.retrying",
        "step.started",
        "step.retrying",
        "step.started",
        "step.completed",
    ]
    first, second = events[1].data, events[3].data
    assert (first["failure_class"], first["error"]) == ("unknown", "RuntimeError: connection reset")
    assert (second["failure_class"], second["error"]) == ("executor_error", "upstream: 502")
    assert [e.data["attempt"] for e in events] == [1, 1, 2, 2, 3, 3]
    # Exponential with equal jitter: the n-th delay is between half and all of base * 2**(n-1).
    delays = [first["retry_in"], second["retry_in"]]
    assert BASE / 2 <= delays[0] <= BASE
    assert BASE <= delays[1] <= 2 * BASE
    assert delays[1] >= delays[0]
    # And the worker did wait that long (the recorded delay is rounded to the millisecond).
    times = ThirdTimeLucky.times
    gaps = [times[n + 1][0] - times[n][1] for n in range(2)]
    for gap, delay in zip(gaps, delays, strict=True):
        assert gap >= delay - 0.001, (gaps, delays)
    plan.refresh_from_db()
    assert plan.status == "completed"


def test_it_fails_the_step_and_the_plan_when_the_attempts_run_out(team, worker):
    ThirdTimeLucky.always_fail = True
    plan = approve(submit_plan(team, [step("a", executor="lucky", max_attempts=3), step("b")]))

    run_until(worker, lambda: Plan.objects.get(pk=plan.pk).status == "failed", "the plan to fail")

    a = steps_of(plan)["a"]
    assert (a.status, a.attempts, a.failure_class, a.error) == (
        "failed",
        3,
        "executor_error",
        "upstream: 502",
    )
    assert [e.kind for e in step_events(plan)] == [
        "step.started",
        "step.retrying",
        "step.started",
        "step.retrying",
        "step.started",
        "step.failed",
    ]
    assert len(ThirdTimeLucky.times) == 3
    assert PlanEvent.objects.get(plan=plan, kind="plan.failed").data["failed"] == ["a"]
