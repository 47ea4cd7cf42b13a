"""A worker cut off past its lease: another worker takes the step and runs it to the end, and
the first attempt's late result is refused."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from executors import registry
from executors.protocol import StepOutcome, StepSpec
from orchestration.engine import queue
from orchestration.engine.worker import Worker
from plans.models import PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_until, steps_of, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class FirstAttemptHangs:
    """The first attempt blocks until `release` is set; later ones return at once."""

    release = threading.Event()

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        if spec.attempt == 1:
            FirstAttemptHangs.release.wait(30)
        return StepOutcome.success({"attempt": spec.attempt})


@pytest.fixture(autouse=True)
def executor(settings: Any) -> Iterator[None]:
    settings.PLANGATE_EXECUTORS = {
        **settings.PLANGATE_EXECUTORS,
        "first_hangs": f"{__name__}.FirstAttemptHangs",
    }
    registry.clear_cache()
    FirstAttemptHangs.release.clear()
    yield
    FirstAttemptHangs.release.set()
    registry.clear_cache()


def test_the_late_result_of_a_worker_cut_off_past_its_lease_is_refused(team, caplog):
    caplog.set_level(logging.INFO, logger="orchestration.engine.worker")
    plan = approve(submit_plan(team, [step("a", executor="first_hangs")]))
    with (
        Worker(name="cut-off", concurrency=1, lease_seconds=0.5, listen=False) as cut_off,
        Worker(name="other", concurrency=1, poll_seconds=0.02) as other,
    ):
        # The cut-off worker claims the step and starts it, then never reaches the database
        # again (its loop does not run): no heartbeat, so its lease runs out.
        assert cut_off.start_approved_plans()
        (job,) = cut_off.running.values()
        assert job.claim.attempt == 1

        run_until(other, lambda: steps_of(plan)["a"].status == "completed", "a second attempt")

        FirstAttemptHangs.release.set()
        wait_for(job.future.done, "the first attempt to return")
        late = queue.Report(claim=job.claim, outcome=job.result())
        assert late.outcome == StepOutcome.success({"attempt": 1})
        assert queue.steps_finish(reports=[late], actor=cut_off.actor) == set()
        # The worker's own path to the same: logged, not recorded.
        assert cut_off.reap_finished()
        assert cut_off.running == {}

    a = steps_of(plan)["a"]
    assert (a.status, a.attempts, a.result) == ("completed", 2, {"attempt": 2})
    assert [k for k, key in events_of(plan) if key == "a"] == [
        "step.started",
        "step.reclaimed",
        "step.started",
        "step.completed",
    ]
    reclaimed = PlanEvent.objects.get(plan=plan, kind="step.reclaimed")
    assert (reclaimed.data["worker"], reclaimed.data["attempt"]) == ("cut-off", 1)
    completed = PlanEvent.objects.get(plan=plan, kind="step.completed")
    assert completed.data == {"attempt": 2}
    assert "result refused" in caplog.text
    plan.refresh_from_db()
    assert plan.status == "completed"
