"""A step that kills every worker that runs it is failed as poison after
PLANGATE_POISON_AFTER deaths, rather than handed to yet another worker."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans.models import Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.functions import FUNCTIONS, FUNCTIONS_ENV
from tests.orchestration.support import events_of, steps_of
from tests.orchestration.workers import WorkerProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

POISON_AFTER = 3


def test_a_step_that_kills_its_worker_is_failed_as_poison_after_three_deaths(
    team: Any, tmp_path: Path, allow_functions: Any
) -> None:
    allow_functions(kill_own_worker=FUNCTIONS["kill_own_worker"])
    plan = approve(
        submit_plan(
            team,
            [
                step("crash", executor="python", params={"function": "kill_own_worker"}),
                step("after", "crash"),
            ],
        )
    )
    deaths = []
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack,
            tmp_path,
            PLANGATE_LEASE_SECONDS="1",
            PLANGATE_POISON_AFTER=str(POISON_AFTER),
            PLANGATE_TEST_FUNCTIONS=FUNCTIONS_ENV,
        )
        current = workers.start("w1")
        deadline = time.monotonic() + 60
        while Plan.objects.get(pk=plan.pk).status in {"approved", "executing"}:
            assert time.monotonic() < deadline, "the plan did not end within 60s"
            if not current.alive:
                # Like a supervisor (systemd, Kubernetes) restarting the crashed worker.
                deaths.append((current.name, current.process.returncode))
                assert len(deaths) <= POISON_AFTER, deaths
                current = workers.start(f"w{len(deaths) + 1}")
            time.sleep(0.05)
        # The worker that failed the step never ran it.
        assert current.alive, current.output()

    assert deaths == [(f"w{n}", -9) for n in range(1, POISON_AFTER + 1)]
    crash = steps_of(plan)["crash"]
    assert (crash.status, crash.failure_class, crash.attempts) == ("failed", "poison", 3)
    assert crash.lost_leases == POISON_AFTER
    assert crash.error.startswith("its worker died 3 times while running it")
    assert [k for k, key in events_of(plan) if key == "crash"] == [
        "step.started",
        "step.reclaimed",
        "step.started",
        "step.reclaimed",
        "step.started",
        "step.failed",
    ]
    started_by = list(
        PlanEvent.objects.filter(plan=plan, kind="step.started")
        .order_by("id")
        .values_list("data__worker", flat=True)
    )
    assert started_by == ["w1", "w2", "w3"]
    plan.refresh_from_db()
    assert plan.status == "failed"
    after = steps_of(plan)["after"]
    assert (after.status, after.failure_class, after.attempts) == ("failed", "dependency_failed", 0)
