"""Workers whose database sessions are all terminated (a database restart, a failover) reconnect
and go on: every step still completes exactly once, and they listen for notifications again."""

from __future__ import annotations

import random
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans.models import Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import wait_for
from tests.orchestration.workers import (
    WorkerProcesses,
    assert_one_attempt_at_a_time,
    step_histories,
    terminate_backends,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PLANS = 30
STEPS = 10
POLL = 5.0


def sleeping_plan(team: Any, rng: random.Random, n: int) -> Plan:
    seconds = [round(rng.uniform(0.05, 0.1), 3) for _ in range(STEPS)]
    return submit_plan(
        team,
        [
            step(f"s{i}", executor="python", params={"function": "sleep", "seconds": s})
            for i, s in enumerate(seconds)
        ],
        goal=f"stream {n}",
    )


def started_within(plan: Plan, seconds: float) -> float:
    """Approve the plan; seconds until a worker started it (fails after `seconds`)."""
    approved = time.monotonic()
    approve(plan)
    wait_for(
        lambda: PlanEvent.objects.filter(plan=plan, kind="plan.started").exists(),
        "a worker to start the plan",
        timeout=seconds,
    )
    return time.monotonic() - approved


def test_workers_survive_their_sessions_being_terminated(team: Any, tmp_path: Path) -> None:
    rng = random.Random(3)
    plans = [sleeping_plan(team, rng, n) for n in range(PLANS)]
    fresh = [sleeping_plan(team, rng, PLANS + n) for n in range(3)]
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack,
            tmp_path,
            # Polling so rarely that only notifications explain a quick start.
            args=["--concurrency", "4", "--poll", str(POLL)],
            # A claim committed just as its session was ended is lost to its worker: the lease
            # gives it back to the queue.
            PLANGATE_LEASE_SECONDS="3",
        )
        two = [workers.start("a"), workers.start("b")]
        app_names = [w.app_name for w in two]
        workers.wait_until_listening(two)

        # A stream of approvals, with every session of both workers terminated twice meanwhile.
        began = time.monotonic()
        terminated = []
        for n, plan in enumerate(plans):
            approve(plan)
            if n in {8, 20}:
                terminated.append(terminate_backends(app_names))
            time.sleep(0.1)
        wait_for(
            lambda: (
                not Plan.objects.filter(
                    pk__in=[p.pk for p in plans], status__in=["approved", "executing"]
                ).exists()
            ),
            "the stream to be done",
            timeout=60,
        )
        took = time.monotonic() - began

        # Listening again: a new approval is started well before the next poll.
        workers.wait_until_listening(two, timeout=10)
        time.sleep(0.5)
        delays = [started_within(plan, seconds=POLL) for plan in fresh]
        assert all(w.alive for w in two), [w.output() for w in two]

    for ended in terminated:
        # Each worker's sessions: the loop's, the LISTEN session, the notification sender's and
        # the tidier's (reclaims and timers).
        assert Counter(ended) == dict.fromkeys(app_names, 4), ended
    assert set(
        Plan.objects.filter(pk__in=[p.pk for p in plans]).values_list("status", flat=True)
    ) == {"completed"}
    histories = step_histories(plans)
    assert len(histories) == PLANS * STEPS
    for history in histories.values():
        assert [e.kind for e in history].count("step.completed") == 1, history
        assert_one_attempt_at_a_time(history)
    assert max(delays) < 1.0, delays
    print(
        f"\nterminate_backend: {PLANS * STEPS} steps in {took:.1f}s through 2 terminations; "
        f"fresh plans started {', '.join(f'{d:.2f}' for d in delays)}s after approval"
    )
