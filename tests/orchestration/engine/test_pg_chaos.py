"""Workers killed at random while they run 1,000 steps: every step still completes exactly once,
and the steps a dead worker held are taken back soon after its leases expire."""

from __future__ import annotations

import random
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plans.models import Plan, PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.workers import (
    WorkerProcess,
    WorkerProcesses,
    assert_one_attempt_at_a_time,
    step_histories,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PLANS = 20
STEPS = 50
WORKERS = 4
LEASE = 2.0
# A step held by a dead worker is back in the queue this soon after its lease expired.
RECLAIM_WITHIN = 5.0
TIME_LIMIT = 90.0


def chaos_plans(team: Any, rng: random.Random) -> list[Plan]:
    """Drafts of independent steps that each sleep 0.1 to 0.2 s."""
    return [
        submit_plan(
            team,
            [
                step(
                    f"s{i:02}",
                    executor="python",
                    params={"function": "sleep", "seconds": round(rng.uniform(0.1, 0.2), 3)},
                )
                for i in range(STEPS)
            ],
            goal=f"chaos {n}",
        )
        for n in range(PLANS)
    ]


def test_it_completes_every_step_exactly_once_while_workers_are_killed(
    team: Any, tmp_path: Path
) -> None:
    rng = random.Random(20240611)
    plans = chaos_plans(team, rng)
    unfinished = Plan.objects.filter(
        pk__in=[p.pk for p in plans], status__in=["approved", "executing"]
    )
    killed: dict[str, datetime] = {}
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack,
            tmp_path,
            args=["--concurrency", "8"],
            PLANGATE_LEASE_SECONDS=str(LEASE),
            # A worker dies every 2 to 3 s here, and now and then the one holding a step dies
            # three times running: that step would be failed as poison, which is right for a
            # step that crashes its workers (test_pg_poison.py) but not what this test is about.
            PLANGATE_POISON_AFTER="1000",
        )
        started = 0

        def start(slot: int) -> WorkerProcess:
            nonlocal started
            started += 1
            return workers.start(f"w{slot}-{started}")

        slots = {slot: start(slot) for slot in range(WORKERS)}
        workers.wait_until_listening(list(slots.values()))

        began = time.monotonic()
        for plan in plans:
            approve(plan)
        next_kill = began + rng.uniform(2, 3)
        while unfinished.exists():
            now = time.monotonic()
            assert now - began < TIME_LIMIT, f"not done after {TIME_LIMIT:g}s"
            if now >= next_kill:
                # Killed as a crash would (no shutdown, no release); a new worker takes its
                # place, as a supervisor would start one.
                slot = rng.choice(sorted(slots))
                killed[slots[slot].name] = slots[slot].kill()
                slots[slot] = start(slot)
                next_kill = now + rng.uniform(2, 3)
            time.sleep(0.05)
        wall = time.monotonic() - began

    plan_statuses = Plan.objects.filter(pk__in=[p.pk for p in plans]).values_list("status")
    assert Counter(s for (s,) in plan_statuses) == {"completed": PLANS}
    step_statuses = PlanStep.objects.filter(plan__in=plans).values_list("status", flat=True)
    assert Counter(step_statuses) == {"completed": PLANS * STEPS}

    histories = step_histories(plans)
    assert len(histories) == PLANS * STEPS
    for history in histories.values():
        assert [e.kind for e in history].count("step.completed") == 1, history
        assert_one_attempt_at_a_time(history)

    reclaimed = [e for history in histories.values() for e in history if e.kind == "step.reclaimed"]
    assert reclaimed, "no step was running on a killed worker: the test proved nothing"
    after_expiry, after_kill = [], []
    for e in reclaimed:
        expired_at = datetime.fromisoformat(e.data["expired_at"])
        # Only killed workers lose their leases: the others renew theirs in time.
        assert e.data["worker"] in killed, e.data
        killed_at = killed[e.data["worker"]]
        # Renewed until the kill, so it expired at most a lease after (the clocks are this
        # machine's).
        assert expired_at <= killed_at + timedelta(seconds=LEASE + 0.1), e.data
        after_expiry.append((e.created_at - expired_at).total_seconds())
        after_kill.append((e.created_at - killed_at).total_seconds())
    assert max(after_expiry) <= RECLAIM_WITHIN, after_expiry
    assert max(after_kill) <= LEASE + RECLAIM_WITHIN, after_kill
    print(
        f"\nchaos: {PLANS * STEPS} steps on {WORKERS} workers, {len(killed)} killed, "
        f"{len(reclaimed)} steps reclaimed at most {max(after_expiry):.2f}s after their lease "
        f"expired ({max(after_kill):.2f}s after the kill), wall time {wall:.1f}s"
    )
