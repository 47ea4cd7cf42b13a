"""Whatever an executor does, the step ends with an outcome and the worker goes on."""

from __future__ import annotations

from typing import Any

import pytest

from executors import registry
from executors.protocol import FailureClass, StepOutcome, StepSpec
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


class Exploding:
    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        raise RuntimeError("kaboom")


class NotJson:
    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        return StepOutcome.success({"when": object()})


class Unstorable:
    """What PostgreSQL refuses to store: a NUL in an error message, an unpaired surrogate in a
    result (an upstream's bytes, quoted as they came)."""

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        if spec.params.get("fail"):
            return StepOutcome.failure("upstream said \x00\ud800 oops", FailureClass.BAD_INPUT)
        return StepOutcome.success({"text": "half a pair: \ud800"})


@pytest.fixture
def executors(settings: Any) -> Any:
    settings.PLANGATE_EXECUTORS = {
        **settings.PLANGATE_EXECUTORS,
        "exploding": f"{__name__}.Exploding",
        "not_json": f"{__name__}.NotJson",
        "unstorable": f"{__name__}.Unstorable",
    }
    registry.clear_cache()
    yield settings
    registry.clear_cache()


def test_it_retries_a_step_whose_executor_raises_then_fails_it(team, worker, executors):
    executors.PLANGATE_RETRY_BASE_SECONDS = 0.01
    plan = approve(submit_plan(team, [step("a", executor="exploding", max_attempts=2)]))

    run_until_idle(worker)
    run_until(worker, lambda: steps_of(plan)["a"].status == "failed", "a to fail")

    a = steps_of(plan)["a"]
    assert (a.status, a.attempts, a.failure_class) == ("failed", 2, "unknown")
    kinds = [k for k, key in events_of(plan) if key == "a"]
    assert kinds == ["step.started", "step.retrying", "step.started", "step.failed"]


def test_it_fails_a_step_whose_executor_raises_and_goes_on(team, worker, executors):
    plan = approve(submit_plan(team, [step("a", executor="exploding", max_attempts=1)]))
    other = approve(submit_plan(team, [step("a"), step("b", "a")]))

    run_until_idle(worker)

    a = steps_of(plan)["a"]
    assert (a.status, a.error, a.failure_class) == ("failed", "RuntimeError: kaboom", "unknown")
    plan.refresh_from_db()
    assert plan.status == "failed"
    other.refresh_from_db()
    assert other.status == "completed"


def test_it_fails_a_step_whose_result_cannot_be_stored(team, worker, executors):
    plan = approve(submit_plan(team, [step("a", executor="not_json", max_attempts=1)]))

    run_until_idle(worker)

    a = steps_of(plan)["a"]
    assert a.status == "failed"
    assert a.error.startswith(
        "executor 'not_json' returned a result that cannot be stored as JSON:"
    )
    assert a.failure_class == "executor_error"
    assert a.result is None


def test_it_fails_a_step_whose_executor_was_removed_since_approval(team, worker, executors):
    plan = approve(submit_plan(team, [step("a", executor="exploding")]))
    executors.PLANGATE_EXECUTORS = {
        k: v for k, v in executors.PLANGATE_EXECUTORS.items() if k != "exploding"
    }

    run_until_idle(worker)

    a = steps_of(plan)["a"]
    assert a.status == "failed"
    # Bad input, not retried: no later attempt would find the executor either.
    assert a.error.startswith("unknown executor 'exploding'")
    assert (a.failure_class, a.attempts) == ("bad_input", 1)


def test_an_outcome_the_database_cannot_store_fails_its_step_not_the_worker(
    team, worker, executors
):
    plan = approve(
        submit_plan(
            team,
            [
                step("result", executor="unstorable", max_attempts=1),
                step("error", executor="unstorable", params={"fail": True}),
            ],
        )
    )
    healthy = approve(submit_plan(team, [step("a")]))

    run_until_idle(worker)

    steps = steps_of(plan)
    assert (steps["result"].status, steps["result"].failure_class) == ("failed", "executor_error")
    assert "cannot be stored as JSON" in steps["result"].error
    # The message is kept, with what cannot be stored replaced.
    assert (steps["error"].status, steps["error"].error) == (
        "failed",
        "upstream said \ufffd\ufffd oops",
    )
    healthy.refresh_from_db()
    assert healthy.status == "completed"
