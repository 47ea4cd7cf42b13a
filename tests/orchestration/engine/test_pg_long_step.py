"""A step that runs far longer than the lease keeps it through heartbeats: no other worker takes
it, and it runs once."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans.models import Plan
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import events_of, steps_of, wait_for
from tests.orchestration.workers import WorkerProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEASE = 1.0
STEP_SECONDS = 5.0


def test_a_step_running_five_leases_long_runs_once(team: Any, tmp_path: Path) -> None:
    plan = submit_plan(
        team,
        [step("long", executor="python", params={"function": "sleep", "seconds": STEP_SECONDS})],
    )
    with ExitStack() as stack:
        # Two workers: whichever does not run the step looks for expired leases all along.
        workers = WorkerProcesses(stack, tmp_path, PLANGATE_LEASE_SECONDS=str(LEASE))
        both = [workers.start("a"), workers.start("b")]
        workers.wait_until_listening(both)
        started = time.monotonic()
        approve(plan)
        wait_for(
            lambda: Plan.objects.get(pk=plan.pk).status not in {"approved", "executing"},
            "the plan to end",
            timeout=STEP_SECONDS + 10,
        )
        took = time.monotonic() - started
        assert all(w.alive for w in both)

    long = steps_of(plan)["long"]
    assert (long.status, long.attempts, long.lost_leases) == ("completed", 1, 0)
    assert long.result == {"slept": STEP_SECONDS, "cancelled": False}
    assert [k for k, key in events_of(plan) if key == "long"] == [
        "step.started",
        "step.completed",
    ]
    assert took >= STEP_SECONDS
