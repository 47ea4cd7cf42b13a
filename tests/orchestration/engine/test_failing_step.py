"""A failing step fails its plan: nothing after it starts, and steps in flight are let finish."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from executors.protocol import StepSpec
from orchestration.engine.worker import Worker
from plans.models import PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

# Opened by the test, so that both steps are running before either ends.
BREAK = threading.Event()
FINISH = threading.Event()


def boom(spec: StepSpec) -> None:
    BREAK.wait(10)
    raise RuntimeError("the tool broke")


def slow(spec: StepSpec) -> list[str]:
    if not FINISH.wait(10):
        raise TimeoutError("the test never let the slow step finish")
    return ["slow done"]


@pytest.fixture(autouse=True)
def gates(worker: Worker) -> Iterator[None]:
    # Depends on the worker so that it opens the gates before the worker waits for its steps.
    BREAK.clear()
    FINISH.clear()
    yield
    BREAK.set()  # never leave a pool thread waiting
    FINISH.set()


def test_it_fails_the_plan_after_the_steps_in_flight_end(team, worker, allow_functions):
    allow_functions(boom=f"{__name__}.boom", slow=f"{__name__}.slow")
    plan = approve(
        submit_plan(
            team,
            [
                step("broken", executor="python", params={"function": "boom"}, max_attempts=1),
                step("slow", executor="python", params={"function": "slow"}),
                step("after_broken", "broken"),
                step("after_slow", "slow"),
            ],
        )
    )
    assert worker.start_approved_plans()
    assert len(worker.running) == 2
    BREAK.set()
    run_until(
        worker,
        lambda: PlanStep.objects.get(plan=plan, key="broken").status == "failed",
        "the broken step to fail",
    )

    # The slow step is still running: the plan waits for it and starts nothing else; what
    # waited on the broken step failed with it, the rest is skipped.
    plan.refresh_from_db()
    assert plan.status == "executing"
    assert {k: s.status for k, s in steps_of(plan).items()} == {
        "broken": "failed",
        "slow": "in_progress",
        "after_broken": "failed",
        "after_slow": "skipped",
    }
    assert not worker.dispatch_ready_steps()

    FINISH.set()
    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "failed"
    steps = steps_of(plan)
    assert steps["broken"].error == "RuntimeError: the tool broke"
    assert steps["slow"].status == "completed"
    assert steps["slow"].result == ["slow done"]
    assert (steps["after_broken"].failure_class, steps["after_broken"].error) == (
        "dependency_failed",
        "dependency 'broken' failed",
    )
    assert (steps["after_slow"].status, steps["after_slow"].skip_reason) == (
        "skipped",
        "plan failed",
    )
    for key in ("after_broken", "after_slow"):
        assert steps[key].attempts == 0
        assert steps[key].started_at is None
    assert plan.finished_at >= steps["slow"].finished_at
    events = events_of(plan)
    assert ("step.started", "after_broken") not in events
    assert ("step.started", "after_slow") not in events
    assert events.index(("step.failed", "broken")) < events.index(("step.completed", "slow"))
    assert events[-1] == ("plan.failed", "")
