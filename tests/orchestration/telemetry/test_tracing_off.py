"""Without an OTLP endpoint or PLANGATE_TRACING, nothing is traced: no provider, no spans, no
traceparent header, no plan-end bookkeeping."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from orchestration.telemetry import tracing
from plans.models import PlanTrace
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle
from tests.processes import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tracing_off(settings):
    settings.PLANGATE_TRACING = False
    tracing.reset()
    yield
    tracing.reset()


def test_nothing_is_traced_when_tracing_is_off(team, worker, hook, tracing_off):
    url, received = hook
    plan = approve(submit_plan(team, [step("call", executor="http", params={"url": url})]))
    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    assert tracing.provider() is None
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    [headers] = received
    assert "traceparent" not in {name.lower() for name in headers}
    assert not tracing.plan_spans.due()
    assert not PlanTrace.objects.exists()


@pytest.mark.parametrize(
    ("role", "env", "expected"),
    [
        (None, None, "plangate-web"),
        (tracing.WORKER_SERVICE, None, "plangate-worker"),
        (tracing.WORKER_SERVICE, "plangate-staging", "plangate-staging"),
    ],
)
def test_the_setting_turns_tracing_on_under_the_processs_service_name(
    settings, tracing_off, monkeypatch, role, env, expected
):
    settings.PLANGATE_TRACING = True
    settings.PLANGATE_TRACE_EXPORTER = (
        "opentelemetry.sdk.trace.export.in_memory_span_exporter.InMemorySpanExporter"
    )
    if env:
        monkeypatch.setenv("OTEL_SERVICE_NAME", env)
    else:
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setattr(tracing, "_service", role or tracing.WEB_SERVICE)
    tracing.reset()
    provider = tracing.provider()
    assert isinstance(provider, TracerProvider)
    assert provider.resource.attributes["service.name"] == expected


def test_a_process_that_does_not_trace_never_loads_the_sdk():
    code = (
        "import sys, types, uuid, django; django.setup()\n"
        "from orchestration.engine import worker\n"
        "from orchestration.telemetry import hooks\n"
        "claim = types.SimpleNamespace(id=1, attempt=1, plan_id=uuid.uuid4(), executor='echo')\n"
        "assert hooks.attempt_started(claim) == {}\n"
        "hooks.attempt_ended(claim, None, recorded=False, seconds=0.1)\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PLANGATE_TRACING", "OTEL_EXPORTER_OTLP_ENDPOINT"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "orchestration.settings"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_broken_exporter_setting_leaves_the_work_untraced_but_done(
    team, worker, settings, tracing_off
):
    settings.PLANGATE_TRACING = True
    settings.PLANGATE_TRACE_EXPORTER = "no.such.Exporter"
    plan = approve(submit_plan(team, [step("a")]))
    run_until_idle(worker)
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert tracing.provider() is None
