"""A fan-out step runs at most max_concurrency of its items at once, however many slots are free."""

from __future__ import annotations

import threading
import time

import pytest

from executors.protocol import StepSpec
from orchestration.engine.worker import Worker
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

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
