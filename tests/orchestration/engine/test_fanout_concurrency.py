"""A fan-out step runs at most max_concurrency of its items at once, however many slots are free."""

from __future__ import annotations

import threading
import time

import pytest

from executors.protocol import StepSpec
from orchestration.engine.worker import Worker
from plans.models import PlanStep
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)

LOCK = threading.Lock()
RUNNING = [0]
PEAK = [0]


def tracked(spec: StepSpec) -> int:
    """Counts how many items run at once, holding each for a moment."""
    with LOCK:
        RUNNING[0] += 1
        PEAK[0] = max(PEAK[0], RUNNING[0])
    time.sleep(0.3)
    with LOCK:
        RUNNING[0] -= 1
    return spec.inputs["item"] * 10


def test_it_runs_no_more_items_at_once_than_its_max_concurrency(team, allow_functions):
    allow_functions(tracked=f"{__name__}.tracked")
    RUNNING[0] = PEAK[0] = 0
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", list(range(9))),
                step(
                    "each",
                    "list",
                    executor="python",
                    params={"function": "tracked"},
                    for_each={"over": "list", "max_concurrency": 3},
                ),
            ],
            # The fan-out step waiting on its items takes no slot of the plan's three.
            max_concurrency=3,
        )
    )

    with Worker(name="wide", concurrency=8, poll_seconds=0.02, grace_seconds=10) as worker:
        run_until_idle(worker, timeout=20)

    assert PEAK[0] == 3
    each = steps_of(plan)["each"]
    assert each.status == "completed"
    assert each.result == [i * 10 for i in range(9)]


SLOW = threading.Event()


def slow_first(spec: StepSpec) -> int:
    """Item 0 takes until the test lets it go; the others are quick."""
    if spec.inputs["index"] == 0 and not SLOW.wait(10):
        raise TimeoutError("the test never let item 0 finish")
    return spec.inputs["item"]


def test_a_slow_item_holds_one_slot_not_the_items_after_it(team, allow_functions):
    allow_functions(slow_first=f"{__name__}.slow_first")
    SLOW.clear()
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", list(range(8))),
                step(
                    "each",
                    "list",
                    executor="python",
                    params={"function": "slow_first"},
                    for_each={"over": "list", "max_concurrency": 2},
                ),
            ],
        )
    )

    with Worker(name="w", concurrency=4, poll_seconds=0.02, grace_seconds=10) as worker:
        try:
            run_until(
                worker,
                lambda: (
                    PlanStep.objects.filter(
                        plan=plan, parent__isnull=False, status="completed"
                    ).count()
                    == 7
                ),
                "every item but the slow one to run",
            )
            # All the others ran in the one slot item 0 left free.
            assert steps_of(plan)["each[0]"].status == "in_progress"
        finally:
            SLOW.set()
        run_until_idle(worker)

    assert steps_of(plan)["each"].result == list(range(8))
