"""On PostgreSQL, with worker processes configured through the environment: PLANGATE_GUARDRAILS
(with a named check from PLANGATE_GUARDRAIL_CHECKS) blocks a result before it is recorded, asks
a reviewer, and a retry with fixed params completes the plan."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans.models import Plan, PlanEvent, PlanStep
from plans.rescue import services as rescue
from plans.services import SYSTEM
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import wait_for
from tests.orchestration.workers import WorkerProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GUARDRAILS = {"python": {"output": [{"check": "no_secrets"}], "on_block": "ask"}}


def test_worker_processes_apply_the_configured_guardrails(team: Any, tmp_path: Path) -> None:
    plan = submit_plan(
        team,
        [
            list_step("fetch", ["the password is hunter2"]),
            list_step("other", ["fine"]),
            step("report", "fetch", "other"),
        ],
    )
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack,
            tmp_path,
            args=["--concurrency", "2"],
            PLANGATE_GUARDRAILS=json.dumps(GUARDRAILS),
            PLANGATE_GUARDRAIL_CHECKS=json.dumps(guarded.CHECKS),
        )
        started = [workers.start("w0"), workers.start("w1")]
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
        steps = {s.key: s for s in PlanStep.objects.filter(plan=plan)}
        assert steps["fetch"].failure_class == "guardrail"
        assert steps["fetch"].result is None
        assert steps["fetch"].error == (
            "guardrail 'check no_secrets' blocked the output: mentions a password"
        )
        assert steps["report"].status == "pending"
        event = PlanEvent.objects.get(plan=plan, kind="step.failed", step_key="fetch")
        assert event.data["guardrails"][0]["source"] == "executor"

        plan.refresh_from_db()
        rescue.step_retry(
            plan=plan,
            key="fetch",
            actor=SYSTEM,
            version=plan.version,
            params={"function": "list_items", "items": ["nothing to hide"]},
        )
        wait_for(
            lambda: Plan.objects.filter(pk=plan.pk, status="completed").exists(),
            "the plan to complete",
            timeout=30,
        )
    fetch = PlanStep.objects.get(plan=plan, key="fetch")
    assert fetch.result == ["nothing to hide"]
