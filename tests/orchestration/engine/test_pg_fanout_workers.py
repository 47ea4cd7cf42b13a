"""A pipeline fanned out over many items runs across worker processes, one of them killed
midway: every item runs each stage to completion once, and the results come back in input
order."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans.models import Plan, PlanStep
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import wait_for
from tests.orchestration.workers import WorkerProcesses, step_histories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEMS = 60
WINDOW = 6


def test_a_pipeline_fans_out_across_workers_and_survives_one_of_them_dying(
    team: Any, tmp_path: Path
) -> None:
    plan = submit_plan(
        team,
        [
            list_step("numbers", list(range(ITEMS))),
            step(
                "each",
                "numbers",
                for_each={
                    "over": "numbers",
                    "max_concurrency": WINDOW,
                    "stages": [
                        {
                            "name": "wait",
                            "executor": "python",
                            "params": {"function": "sleep", "seconds": 0.2},
                        },
                        # echo returns its inputs: the index, and the wait stage's result.
                        {"name": "report", "executor": "echo"},
                    ],
                },
            ),
        ],
        max_concurrency=WINDOW,
    )
    with ExitStack() as stack:
        # Fewer slots per worker than the window: the items need every worker there is, so
        # the one started late takes part.
        workers = WorkerProcesses(
            stack, tmp_path, args=["--concurrency", "2"], PLANGATE_LEASE_SECONDS="2"
        )
        first, second = workers.start("w0"), workers.start("w1")
        workers.wait_until_listening([first, second])
        approve(plan)
        wait_for(
            lambda: PlanStep.objects.filter(plan=plan, status="completed").count() > ITEMS // 2,
            "half the items to have run",
            timeout=30,
        )
        first.kill()
        time.sleep(0.5)
        workers.wait_until_listening([workers.start("w2")])
        wait_for(
            lambda: not Plan.objects.filter(pk=plan.pk, status="executing").exists(),
            "the plan to end",
            timeout=60,
        )

    plan.refresh_from_db()
    assert plan.status == "completed"
    each = PlanStep.objects.get(plan=plan, key="each")
    assert [r["inputs"]["item"]["slept"] for r in each.result] == [0.2] * ITEMS
    assert [r["inputs"]["index"] for r in each.result] == list(range(ITEMS))
    histories = step_histories([plan])
    completed = Counter(
        key for (_, key), events in histories.items() for e in events if e.kind == "step.completed"
    )
    children = PlanStep.objects.filter(plan=plan, parent__isnull=False)
    assert children.count() == ITEMS * 2
    assert all(completed[c.key] == 1 for c in children), completed
    ran_on = {
        e.data["worker"]
        for events in histories.values()
        for e in events
        if e.kind == "step.started"
    }
    assert {"w0", "w1", "w2"} <= ran_on
