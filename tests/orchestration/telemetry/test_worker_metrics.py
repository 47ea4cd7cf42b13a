"""A worker serves its own metrics: claims (how many, how long the statement took, how long
steps waited), attempts (how long, how they ended)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from executors.protocol import StepSpec
from orchestration.telemetry import worker_metrics
from plans import services
from plans.models import Plan
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def served() -> Iterator[str]:
    port = worker_metrics.serve(0, "127.0.0.1")
    yield f"http://127.0.0.1:{port}/metrics"
    worker_metrics.stop()


def test_it_serves_claim_and_attempt_metrics_after_a_plan_runs(team, worker, served):
    before = parse(httpx.get(served).text)
    plan = approve(
        submit_plan(
            team,
            [step("a"), step("bad", executor="python", params={"function": "sum_numbers"})],
        )
    )
    assert services.plan_start(plan=plan, actor=services.SYSTEM)
    # The plan started 30 s ago: its steps had been ready that long when claimed.
    Plan.objects.filter(pk=plan.pk).update(started_at=timezone.now() - timedelta(seconds=30))
    run_until_idle(worker)
    assert {k: s.status for k, s in steps_of(plan).items()} == {"a": "completed", "bad": "failed"}

    after = parse(httpx.get(served).text)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("plangate_worker_steps_claimed_total", executor="echo") == 1
    assert delta("plangate_worker_steps_claimed_total", executor="python") == 1
    assert delta("plangate_worker_steps_finished_total", executor="echo", status="completed") == 1
    assert delta("plangate_worker_steps_finished_total", executor="python", status="failed") == 1
    assert delta("plangate_worker_attempt_seconds_count", executor="echo", status="completed") == 1
    assert delta("plangate_worker_attempt_seconds_count", executor="python", status="failed") == 1
    assert delta("plangate_worker_claim_statement_seconds_count") >= 1
    for executor in ("echo", "python"):
        assert delta("plangate_worker_claim_latency_seconds_count", executor=executor) == 1
        assert delta("plangate_worker_claim_latency_seconds_sum", executor=executor) >= 30
        assert (
            delta("plangate_worker_claim_latency_seconds_bucket", executor=executor, le="10.0") == 0
        )
        assert (
            delta("plangate_worker_claim_latency_seconds_bucket", executor=executor, le="60.0") == 1
        )


def own_metrics(spec: StepSpec) -> dict[str, float]:
    """Scrapes the metrics server of the worker running it."""
    text = httpx.get(f"http://127.0.0.1:{spec.params['port']}/metrics").text
    samples = parse(text)
    return {"claimed": value(samples, "plangate_worker_steps_claimed_total", executor="python")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_runworker_serves_its_metrics_on_the_port_asked_for(team, allow_functions, settings):
    allow_functions(own_metrics=f"{__name__}.own_metrics")
    settings.PLANGATE_METRICS_BIND = "127.0.0.1"
    port = free_port()
    plan = approve(
        submit_plan(
            team,
            [step("look", executor="python", params={"function": "own_metrics", "port": port})],
        )
    )

    call_command("runworker", "--once", "--poll", "0.05", "--metrics-port", str(port))

    look = steps_of(plan)["look"]
    assert look.status == "completed", look.error
    assert look.result["claimed"] >= 1
    # Stopped with the worker.
    assert not worker_metrics.serving()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)


def test_runworker_refuses_a_port_out_of_range(db):
    with pytest.raises(CommandError, match="--metrics-port"):
        call_command("runworker", "--once", "--metrics-port", "70000")
