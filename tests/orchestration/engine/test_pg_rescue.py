"""On PostgreSQL: several worker processes record a step that asks when it fails, and the plan
needs attention with its other steps finished and nothing new started; a retry lets them finish
the plan. Two rescue decisions at once: one wins, the other is refused."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans import services
from plans.models import Plan, PlanEvent, PlanStep
from plans.rescue import services as rescue
from plans.services import SYSTEM
from tests.factories import approve, step, submit_plan
from tests.orchestration.functions import FUNCTIONS, FUNCTIONS_ENV
from tests.orchestration.support import wait_for
from tests.orchestration.workers import WorkerProcesses
from tests.plans.rescue.support import needing_attention
from tests.plans.test_races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NAP = {"function": "sleep", "seconds": 0.3}


def test_workers_hold_the_plan_and_finish_it_after_a_retry(
    team: Any, tmp_path: Path, allow_functions: Any
) -> None:
    allow_functions(fetch_source=FUNCTIONS["fetch_source"])
    bad = {"function": "fetch_source", "source": "old"}
    plan = submit_plan(
        team,
        [
            *[step(f"nap{i}", executor="python", params=NAP) for i in range(6)],
            step("fetch", executor="python", params=bad, on_failure="ask"),
            step("report", "fetch", *[f"nap{i}" for i in range(6)]),
        ],
    )
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack, tmp_path, args=["--concurrency", "4"], PLANGATE_TEST_FUNCTIONS=FUNCTIONS_ENV
        )
        started = [workers.start("w0"), workers.start("w1"), workers.start("w2")]
        workers.wait_until_listening(started)
        approve(plan)
        wait_for(
            lambda: (
                Plan.objects.filter(pk=plan.pk, status="needs_attention").exists()
                and not PlanStep.objects.filter(plan=plan, status="in_progress").exists()
            ),
            "the plan to need attention with nothing running",
            timeout=30,
        )
        statuses = dict(PlanStep.objects.filter(plan=plan).values_list("key", "status"))
        # What was already running finished; what was not yet started waits.
        assert statuses["fetch"] == "failed"
        assert statuses["report"] == "pending"
        assert not PlanEvent.objects.filter(plan=plan, kind="plan.failed").exists()

        plan.refresh_from_db()
        rescue.step_retry(
            plan=plan,
            key="fetch",
            actor=SYSTEM,
            version=plan.version,
            params={"function": "fetch_source", "source": "good"},
        )
        wait_for(
            lambda: Plan.objects.filter(pk=plan.pk, status="completed").exists(),
            "the plan to complete",
            timeout=30,
        )
    statuses = dict(PlanStep.objects.filter(plan=plan).values_list("key", "status"))
    assert set(statuses.values()) == {"completed"}
    assert PlanEvent.objects.filter(plan=plan, kind="plan.needs_attention").count() == 1


def test_two_rescue_decisions_at_once_have_one_winner(team: Any) -> None:
    for _ in range(4):
        plan = needing_attention(team)
        retry = lambda p=plan: rescue.step_retry(plan=p, key="fetch", actor=SYSTEM, version=2)  # noqa: E731
        fail = lambda p=plan: rescue.plan_fail(plan=p, actor=SYSTEM, version=2, reason="no")  # noqa: E731
        results = race([retry, fail, retry, fail])

        assert results.count("ok") == 1, results
        decisions = PlanEvent.objects.filter(
            plan=plan, kind__in=["step.retried", "plan.failed"]
        ).count()
        assert decisions == 1
        plan.refresh_from_db()
        assert plan.status in {"executing", "failed"}
        if plan.status == "executing":
            # Out of the way of the next round's claims.
            services.plan_cancel(plan=plan, actor=SYSTEM, reason="next round")
