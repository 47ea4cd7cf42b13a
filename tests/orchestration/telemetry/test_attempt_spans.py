"""Each step attempt is a span, child of its plan's span, with what it ran and how it ended."""

from __future__ import annotations

import pytest
from opentelemetry.trace import StatusCode

from orchestration.telemetry import tracing
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def attempt_spans(exporter):
    return [s for s in exporter.get_finished_spans() if s.name == tracing.ATTEMPT_SPAN]


def test_it_records_a_successful_attempt_with_its_usage(team, worker, spans, test_executors):
    plan = approve(submit_plan(team, [step("ask", executor="metered")]))
    run_until_idle(worker)

    [span] = attempt_spans(spans)
    assert dict(span.attributes) == {
        "plangate.plan_id": str(plan.pk),
        "plangate.team_id": team.pk,
        "plangate.step_key": "ask",
        "plangate.executor": "metered",
        "plangate.attempt": 1,
        "plangate.status": "completed",
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.request.model": "small-1",
        "plangate.cost": 0.0125,
    }
    assert span.status.status_code == StatusCode.UNSET
    assert span.context.trace_id == plan.pk.int
    assert span.parent.span_id == tracing.plan_span_id(plan.pk)
    # From the attempt's start to its outcome's recording, inside the step's own times.
    step_row = steps_of(plan)["ask"]
    assert span.start_time <= span.end_time
    assert span.start_time / 1e9 >= step_row.started_at.timestamp() - 0.01
    assert span.end_time / 1e9 >= step_row.finished_at.timestamp() - 0.01


def test_it_records_a_failed_attempt_as_an_error_with_its_class(
    team, worker, spans, test_executors
):
    plan = approve(submit_plan(team, [step("ask", executor="metered", params={"fail": True})]))
    run_until_idle(worker)

    [span] = attempt_spans(spans)
    assert span.attributes["plangate.status"] == "failed"
    assert span.attributes["plangate.failure_class"] == "bad_input"
    assert span.attributes["plangate.step_key"] == "ask"
    assert span.attributes["gen_ai.usage.input_tokens"] == 1200
    assert span.status.status_code == StatusCode.ERROR
    # The error text, shortened.
    assert span.status.description.startswith("the model refused: no no")
    assert len(span.status.description) <= tracing.ERROR_CHARS
    assert steps_of(plan)["ask"].error.startswith(span.status.description[:-1])


def test_each_attempt_of_a_retried_step_is_a_span_of_its_own(
    team, worker, spans, settings, test_executors
):
    settings.PLANGATE_RETRY_BASE_SECONDS = 0.01
    plan = approve(submit_plan(team, [step("ask", executor="metered", params={"flaky": 2})]))
    # Not until idle: a round may find nothing to do while the step waits out its backoff.
    run_until(worker, lambda: steps_of(plan)["ask"].status == "completed", "the third attempt")
    run_until_idle(worker)

    found = attempt_spans(spans)
    assert [(s.attributes["plangate.attempt"], s.attributes["plangate.status"]) for s in found] == [
        (1, "failed"),
        (2, "failed"),
        (3, "completed"),
    ]
    assert [s.attributes.get("plangate.failure_class") for s in found] == [
        "executor_error",
        "executor_error",
        None,
    ]
    assert "gen_ai.usage.input_tokens" not in found[0].attributes
    assert {s.context.trace_id for s in found} == {plan.pk.int}
    assert len({s.context.span_id for s in found}) == 3
    assert {s.parent.span_id for s in found} == {tracing.plan_span_id(plan.pk)}
