"""On stop the worker claims nothing more and waits, up to its grace period, for running steps."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator

import pytest

from executors.protocol import StepSpec
from orchestration.engine.worker import Worker
from plans.validation import StepDraft
from tests.executors.procs import live_members
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, run_in_thread, run_until_idle, steps_of, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

GATE = threading.Event()


def wait_for_gate(spec: StepSpec) -> str:
    if not GATE.wait(10):
        raise TimeoutError("the test never opened the gate")
    return "done"


@pytest.fixture(autouse=True)
def gate() -> Iterator[threading.Event]:
    GATE.clear()
    yield GATE
    GATE.set()  # never leave a pool thread waiting


def gated(key: str, *depends_on: str) -> StepDraft:
    return step(key, *depends_on, executor="python", params={"function": "wait_for_gate"})


def test_it_lets_running_steps_finish_and_claims_nothing_more(team, allow_functions):
    allow_functions(wait_for_gate=f"{__name__}.wait_for_gate")
    plan = approve(submit_plan(team, [gated("a"), step("b", "a")]))
    worker = Worker(name="test", concurrency=2, poll_seconds=0.02, grace_seconds=10)
    assert worker.start_approved_plans()
    assert worker.running
    later = approve(submit_plan(team, [step("x")]))

    worker.stop()
    assert not worker.start_approved_plans()
    opener = threading.Timer(0.3, GATE.set)
    opener.start()
    started = time.monotonic()
    worker.shutdown()
    opener.join()

    assert time.monotonic() - started >= 0.25
    assert worker.abandoned == []
    steps = steps_of(plan)
    assert (steps["a"].status, steps["a"].result) == ("completed", "done")
    # b became ready while the worker was stopping; it was left for another worker.
    assert steps["b"].status == "pending"
    later.refresh_from_db()
    assert later.status == "approved"


def test_it_releases_steps_still_running_after_the_grace_period(team, allow_functions):
    allow_functions(wait_for_gate=f"{__name__}.wait_for_gate")
    plan = approve(submit_plan(team, [gated("a"), step("b", "a")]))
    worker = Worker(name="test", concurrency=2, poll_seconds=0.02, grace_seconds=0.2)
    worker.start_approved_plans()

    worker.stop()
    worker.shutdown()

    assert [job.spec.step_key for job in worker.abandoned] == ["a"]
    assert worker.abandoned[0].spec.cancelled.is_set()
    plan.refresh_from_db()
    assert plan.status == "executing"
    steps = steps_of(plan)
    # Handed back at once, not left to a lease expiry: the next worker takes it now.
    assert (steps["a"].status, steps["a"].lease_owner, steps["a"].attempts) == ("pending", "", 1)
    assert ("step.released", "a") in events_of(plan)

    GATE.set()
    wait_for(lambda: worker.abandoned[0].future.done(), "the abandoned step's thread to end")
    with Worker(name="next", concurrency=2, poll_seconds=0.02) as other:
        run_until_idle(other)
    plan.refresh_from_db()
    steps = steps_of(plan)
    assert plan.status == "completed"
    assert (steps["a"].result, steps["a"].attempts) == ("done", 2)


def test_it_wakes_from_an_idle_wait_when_stopped():
    worker = Worker(name="test", concurrency=1, poll_seconds=60)
    loop = run_in_thread(worker)
    time.sleep(0.1)  # let it go idle

    started = time.monotonic()
    worker.stop()
    loop.join(timeout=5)

    assert not loop.is_alive()
    assert time.monotonic() - started < 2


@pytest.mark.skipif(sys.platform != "linux", reason="tells live processes by /proc")
def test_it_kills_a_stubborn_subprocess_before_handing_its_step_back(team, settings, tmp_path):
    # Ignores SIGTERM, as does the sleeper it starts: only the SIGKILL that follows stops them.
    settings.PLANGATE_SHELL_COMMANDS = {
        "stubborn": ["sh", "-c", "trap '' TERM; echo $$ > \"$1\"; sleep 30", "sh"]
    }
    pid_file = tmp_path / "pid"
    plan = approve(
        submit_plan(
            team,
            [step("a", executor="shell", params={"command": "stubborn", "args": [str(pid_file)]})],
        )
    )
    worker = Worker(name="test", concurrency=1, poll_seconds=0.02, grace_seconds=0.1)
    worker.start_approved_plans()
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the command to start")
    group = int(pid_file.read_text())

    worker.stop()
    worker.shutdown()

    # Gone by the time the step is handed to another worker, not left running beside it.
    assert live_members(group) == []
    assert steps_of(plan)["a"].status == "pending"
