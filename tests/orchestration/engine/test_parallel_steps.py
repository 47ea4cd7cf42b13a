"""Independent steps run at the same time, up to the worker's concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from executors.protocol import StepSpec
from orchestration.engine.worker import Worker
from plans.validation import StepDraft
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

GATE = threading.Event()


def wait_for_gate(spec: StepSpec) -> str:
    if not GATE.wait(10):
        raise TimeoutError("the test never opened the gate")
    return spec.step_key


@pytest.fixture(autouse=True)
def gate(worker: Worker) -> Iterator[threading.Event]:
    # Depends on the worker so that it opens the gate before the worker waits for its steps.
    GATE.clear()
    yield GATE
    GATE.set()  # never leave a pool thread waiting


def sleeper(key: str) -> StepDraft:
    return step(key, executor="python", params={"function": "sleep", "seconds": 0.5})


def test_it_runs_independent_steps_at_the_same_time(team, worker):
    plan = approve(submit_plan(team, [sleeper("a"), sleeper("b")]))

    run_until_idle(worker)

    steps = steps_of(plan)
    a, b = steps["a"], steps["b"]
    assert a.status == b.status == "completed"
    assert a.started_at < b.finished_at
    assert b.started_at < a.finished_at


def test_it_runs_no_more_steps_at_once_than_its_concurrency(team, worker, allow_functions):
    allow_functions(wait_for_gate=f"{__name__}.wait_for_gate")
    gated = {"executor": "python", "params": {"function": "wait_for_gate"}}
    plan = approve(submit_plan(team, [step("a", **gated), step("b", **gated), step("c", **gated)]))

    assert worker.start_approved_plans()
    assert len(worker.running) == 2
    assert not worker.dispatch_ready_steps()
    statuses = sorted(s.status for s in steps_of(plan).values())
    assert statuses == ["in_progress", "in_progress", "pending"]

    GATE.set()
    run_until_idle(worker)

    steps = sorted(steps_of(plan).values(), key=lambda s: s.started_at)
    assert [s.status for s in steps] == ["completed"] * 3
    first, second, last = steps
    assert last.started_at >= min(first.finished_at, second.finished_at)
