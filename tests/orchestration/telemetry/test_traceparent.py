"""An http step's request carries its attempt's trace context, so the service it calls can
join the plan's trace."""

from __future__ import annotations

import pytest

from orchestration.telemetry import tracing
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_http_executor_sends_the_attempts_traceparent(team, worker, spans, hook):
    url, received = hook
    plan = approve(submit_plan(team, [step("call", executor="http", params={"url": url})]))
    run_until_idle(worker)

    [attempt] = [s for s in spans.get_finished_spans() if s.name == tracing.ATTEMPT_SPAN]
    assert attempt.attributes["plangate.status"] == "completed"
    [headers] = received
    context = attempt.get_span_context()
    assert headers["traceparent"] == f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
    assert context.trace_id == plan.pk.int
    assert headers["Content-Type"] == "application/json"
