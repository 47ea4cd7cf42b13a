"""Worker processes running one plan's steps between them send attempt spans that all belong to
the plan's trace, and one plan span at its end."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from orchestration.telemetry import tracing
from plans.models import Plan, PlanTrace
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import wait_for
from tests.orchestration.workers import WorkerProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_worker_processes_build_one_trace_per_plan(team: Any, tmp_path: Path) -> None:
    naps = [
        step(f"nap{i}", executor="python", params={"function": "sleep", "seconds": 0.3})
        for i in range(8)
    ]
    plan = submit_plan(team, [*naps, step("end", *[s.key for s in naps])], max_concurrency=8)
    spans_dir = tmp_path / "spans"
    spans_dir.mkdir()
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack,
            tmp_path,
            args=["--concurrency", "2"],
            PLANGATE_TRACING="true",
            PLANGATE_TRACE_EXPORTER="tests.orchestration.telemetry.spans_file.FileSpanExporter",
            PLANGATE_TEST_SPANS_DIR=str(spans_dir),
            OTEL_BSP_SCHEDULE_DELAY="100",
        )
        started = [workers.start("w0"), workers.start("w1")]
        workers.wait_until_listening(started)
        approve(plan)
        wait_for(
            lambda: not Plan.objects.filter(pk=plan.pk, status="executing").exists(),
            "the plan to end",
            timeout=60,
        )
        wait_for(lambda: PlanTrace.objects.filter(plan=plan).exists(), "its span", timeout=10)
    # The workers have stopped, and flushed their spans.

    plan.refresh_from_db()
    assert plan.status == "completed"
    spans = [
        json.loads(line)
        for path in spans_dir.glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    attempts = [s for s in spans if s["name"] == tracing.ATTEMPT_SPAN]
    assert sorted(s["attributes"]["plangate.step_key"] for s in attempts) == sorted(
        [f"nap{i}" for i in range(8)] + ["end"]
    )
    assert len({s["pid"] for s in attempts}) == 2
    assert {s["trace_id"] for s in attempts} == {plan.pk.int}
    assert {s["parent_id"] for s in attempts} == {tracing.plan_span_id(plan.pk)}
    [plan_span] = [s for s in spans if s["name"] == tracing.PLAN_SPAN]
    assert plan_span["trace_id"] == plan.pk.int
    assert plan_span["span_id"] == tracing.plan_span_id(plan.pk)
    assert plan_span["start"] == int(plan.started_at.timestamp() * 1_000_000) * 1000
    assert plan_span["end"] == int(plan.finished_at.timestamp() * 1_000_000) * 1000
    assert plan_span["attributes"]["plangate.steps.completed"] == 9
    assert {s["service"] for s in spans} == {"plangate-worker"}
