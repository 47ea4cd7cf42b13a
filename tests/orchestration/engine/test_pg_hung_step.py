"""A hung step times out and frees its slot: a sync one that ignores the cancel is abandoned to
its thread, an async one is cancelled."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from executors import registry
from executors.protocol import StepOutcome, StepSpec
from orchestration.engine.worker import Worker
from plans.models import Plan
from tests.factories import approve, step, submit_plan
from tests.orchestration.functions import FUNCTIONS
from tests.orchestration.support import run_until, steps_of, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TIMEOUT = 0.5


class AsyncHang:
    """Awaits 30 s; notes when it is cancelled."""

    cancelled = threading.Event()

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    async def run(self, spec: StepSpec) -> StepOutcome:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            AsyncHang.cancelled.set()
            raise
        return StepOutcome.success(None)


@pytest.fixture
def one_slot() -> Iterator[Worker]:
    # grace 0: the abandoned thread is not waited for at the end.
    with Worker(name="one-slot", concurrency=1, poll_seconds=0.02, grace_seconds=0) as worker:
        yield worker


@pytest.fixture(autouse=True)
def executors(settings: Any, allow_functions: Any) -> Iterator[None]:
    allow_functions(hang=FUNCTIONS["hang"])
    settings.PLANGATE_EXECUTORS = {
        **settings.PLANGATE_EXECUTORS,
        "async_hang": f"{__name__}.AsyncHang",
    }
    registry.clear_cache()
    AsyncHang.cancelled.clear()
    yield
    registry.clear_cache()


def hung_then_other(team: Any, worker: Worker, hung: Any) -> tuple[Plan, Plan, float]:
    """Start the hung step in the only slot, then approve another plan; run until that plan
    has completed. Returns both plans and the seconds it took."""
    stuck = approve(submit_plan(team, [hung], goal="hangs"))
    assert worker.start_approved_plans()
    assert worker.running
    began = time.monotonic()
    other = approve(submit_plan(team, [step("quick")], goal="waits for the slot"))
    run_until(
        worker,
        lambda: Plan.objects.get(pk=other.pk).status == "completed",
        "the other plan to run in the freed slot",
        timeout=10,
    )
    return stuck, other, time.monotonic() - began


def assert_timed_out(plan: Plan, other: Plan) -> None:
    hung = steps_of(plan)["hung"]
    assert (hung.status, hung.failure_class, hung.attempts) == ("failed", "timeout", 1)
    assert hung.error == f"timed out after {TIMEOUT:g}s"
    plan.refresh_from_db()
    assert plan.status == "failed"
    quick = steps_of(other)["quick"]
    assert hung.finished_at is not None and quick.started_at is not None
    # The slot went to the other step only once the hung one had timed out.
    assert quick.started_at >= hung.finished_at


def test_a_sync_step_ignoring_the_cancel_times_out_and_frees_its_slot(team, one_slot):
    hung = step(
        "hung",
        executor="python",
        params={"function": "hang", "seconds": 30},
        timeout_seconds=TIMEOUT,
        max_attempts=1,
    )

    stuck, other, took = hung_then_other(team, one_slot, hung)

    assert took < 5
    assert_timed_out(stuck, other)
    # Its thread still sleeps: it was abandoned, not waited for.
    step_id = steps_of(stuck)["hung"].pk
    assert any(t.name == f"plangate-step-{step_id}" for t in threading.enumerate())
    assert one_slot.running == {}


def test_an_async_step_is_cancelled_at_its_timeout_and_frees_its_slot(team, one_slot):
    hung = step("hung", executor="async_hang", timeout_seconds=TIMEOUT, max_attempts=1)

    stuck, other, took = hung_then_other(team, one_slot, hung)

    assert took < 5
    assert_timed_out(stuck, other)
    wait_for(AsyncHang.cancelled.is_set, "the coroutine to be cancelled", timeout=2)
