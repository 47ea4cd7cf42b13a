"""A plan's max_concurrency holds across worker processes: never more of its steps run at once,
and that many do."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans.models import Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.functions import FUNCTIONS, FUNCTIONS_ENV
from tests.orchestration.support import wait_for
from tests.orchestration.workers import ENDS_ATTEMPT, WorkerProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MAX_CONCURRENCY = 2
PLANS = 3
STEPS = 20


def most_at_once(intervals: list[tuple[float, int]]) -> int:
    """The most intervals open at once, from (time, +1 | -1) marks; ends sort before starts."""
    running = peak = 0
    for _, change in sorted(intervals):
        running += change
        peak = max(peak, running)
    return peak


def test_no_plan_runs_more_steps_at_once_than_its_max_concurrency(
    team: Any, tmp_path: Path, allow_functions: Any
) -> None:
    allow_functions(nap_and_record=FUNCTIONS["nap_and_record"])
    record = tmp_path / "runs.jsonl"
    rng = random.Random(7)
    plans = [
        submit_plan(
            team,
            [
                step(
                    f"s{i:02}",
                    executor="python",
                    params={
                        "function": "nap_and_record",
                        "seconds": round(rng.uniform(0.1, 0.2), 3),
                        "record": str(record),
                    },
                )
                for i in range(STEPS)
            ],
            goal=f"limited {n}",
            max_concurrency=MAX_CONCURRENCY,
        )
        for n in range(PLANS)
    ]
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack, tmp_path, args=["--concurrency", "1"], PLANGATE_TEST_FUNCTIONS=FUNCTIONS_ENV
        )
        three = [workers.start(f"w{n}") for n in range(3)]
        workers.wait_until_listening(three)
        for plan in plans:
            approve(plan)
        wait_for(
            lambda: (
                not Plan.objects.filter(
                    pk__in=[p.pk for p in plans], status__in=["approved", "executing"]
                ).exists()
            ),
            "the plans to end",
            timeout=60,
        )

    for plan in plans:
        plan.refresh_from_db()
        assert plan.status == "completed"

    # As the database saw it: a plan's events are written under its lock, so in id order they
    # replay its steps starting and ending.
    for plan in plans:
        running = peak = 0
        for kind in (
            PlanEvent.objects.filter(plan=plan, kind__startswith="step.")
            .order_by("id")
            .values_list("kind", flat=True)
        ):
            if kind == "step.started":
                running += 1
            elif kind in ENDS_ATTEMPT:
                running -= 1
            peak = max(peak, running)
            assert running <= MAX_CONCURRENCY, f"plan {plan.goal}: {running} steps at once"
        assert peak == MAX_CONCURRENCY, f"plan {plan.goal} never ran {MAX_CONCURRENCY} at once"

    # As the steps ran: their own start and end times, per plan.
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(runs) == PLANS * STEPS
    by_plan: dict[str, list[tuple[float, int]]] = defaultdict(list)
    pids: dict[str, set[int]] = defaultdict(set)
    for run in runs:
        by_plan[run["plan"]] += [(run["started"], +1), (run["returned"], -1)]
        pids[run["plan"]].add(run["pid"])
    # One slot per worker: a plan reached its limit only with steps in two processes at once.
    assert all(len(p) > 1 for p in pids.values()), pids
    assert {most_at_once(marks) for marks in by_plan.values()} == {MAX_CONCURRENCY}
