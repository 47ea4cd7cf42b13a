"""A plan's attempts, in whatever worker, are one trace under the plan's span, which the first
worker to see the plan end sends, once, with the plan's real times."""

from __future__ import annotations

import pytest
from opentelemetry.trace import StatusCode

from orchestration.engine.worker import Worker
from orchestration.telemetry import tracing
from plans import services
from plans.models import PlanTrace
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until, run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)


def by_name(exporter, name):
    return [s for s in exporter.get_finished_spans() if s.name == name]


def test_attempts_in_two_workers_share_the_plans_trace_and_the_plan_span_comes_at_the_end(
    team, spans
):
    plan = approve(submit_plan(team, [step("a"), step("b"), step("c", "a", "b")]))
    with (
        Worker(name="w1", concurrency=1, poll_seconds=0.02) as first,
        Worker(name="w2", concurrency=1, poll_seconds=0.02) as second,
    ):
        # One slot each: the first worker claims a, the second b.
        first.run_once()
        second.run_once()
        assert [job.claim.key for job in first.running.values()] == ["a"]
        assert [job.claim.key for job in second.running.values()] == ["b"]
        run_until(second, lambda: not second.running, "b to end")
        assert not by_name(spans, tracing.PLAN_SPAN)
        run_until_idle(first)
        # Both look for ended plans; only one sends its span.
        tracing.plan_spans.send()
        second.run_once()

    attempts = by_name(spans, tracing.ATTEMPT_SPAN)
    assert sorted(s.attributes["plangate.step_key"] for s in attempts) == ["a", "b", "c"]
    workers = {e.step_key: e.data["worker"] for e in plan.events.filter(kind="step.started")}
    assert workers["a"] == "w1"
    assert workers["b"] == "w2"
    assert {s.context.trace_id for s in attempts} == {plan.pk.int}
    assert {s.parent.span_id for s in attempts} == {tracing.plan_span_id(plan.pk)}

    [plan_span] = by_name(spans, tracing.PLAN_SPAN)
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert plan_span.context.trace_id == plan.pk.int
    assert plan_span.context.span_id == tracing.plan_span_id(plan.pk)
    assert plan_span.parent is None
    assert plan_span.start_time == int(plan.started_at.timestamp() * 1_000_000) * 1000
    assert plan_span.end_time == int(plan.finished_at.timestamp() * 1_000_000) * 1000
    assert all(plan_span.start_time <= s.start_time for s in attempts)
    assert dict(plan_span.attributes) == {
        "plangate.plan_id": str(plan.pk),
        "plangate.team_id": team.pk,
        "plangate.status": "completed",
        "plangate.steps": 3,
        "plangate.steps.completed": 3,
    }
    assert plan_span.status.status_code == StatusCode.UNSET
    assert PlanTrace.objects.filter(plan=plan).count() == 1


def test_a_plan_cancelled_while_it_runs_gets_its_span_with_the_cancel(team, spans, settings):
    settings.PLANGATE_PYTHON_FUNCTIONS = {
        **settings.PLANGATE_PYTHON_FUNCTIONS,
        "sleep": "executors.builtin.functions.sleep",
    }
    plan = approve(
        submit_plan(
            team,
            [step("nap", executor="python", params={"function": "sleep", "seconds": 5})],
        )
    )
    with Worker(name="w1", concurrency=1, poll_seconds=0.02, grace_seconds=1) as worker:
        run_until(worker, lambda: worker.running, "the step to start")
        plan.refresh_from_db()
        services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="no longer needed")
        run_until(worker, lambda: not worker.running, "the step to stop")
        tracing.plan_spans.send()

    [attempt] = by_name(spans, tracing.ATTEMPT_SPAN)
    assert attempt.attributes["plangate.status"] == "stopped"
    [plan_span] = by_name(spans, tracing.PLAN_SPAN)
    assert plan_span.attributes["plangate.status"] == "cancelled"
    assert plan_span.status.status_code == StatusCode.ERROR
    assert plan_span.context.trace_id == attempt.context.trace_id


def test_a_plan_that_never_ran_gets_no_span(team, spans):
    plan = submit_plan(team, [step("a")])
    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="wrong plan")
    assert tracing.plan_spans.send() == 0
    assert not spans.get_finished_spans()


def test_it_reads_recent_events_again_until_they_settle_and_sends_each_plan_once(team, spans):
    plan = approve(submit_plan(team, [step("a")]))
    with Worker(name="w1", concurrency=1, poll_seconds=0.02) as worker:
        run_until_idle(worker)
    sweeper = tracing.plan_spans
    sweeper.send()
    ended = plan.events.get(kind="plan.completed").pk
    # A transaction that took an event id before this one may commit after it: the cursor
    # stays behind recent events, which are read again (and not sent twice).
    assert sweeper.cursor < ended
    assert sweeper.send() == 0
    assert len(by_name(spans, tracing.PLAN_SPAN)) == 1
    # Once they are SETTLE_SECONDS old, the cursor moves past them.
    sweeper._marks = [(at - sweeper.SETTLE_SECONDS, newest) for at, newest in sweeper._marks]
    assert sweeper.send() == 0
    assert sweeper.cursor >= ended
    assert len(by_name(spans, tracing.PLAN_SPAN)) == 1


def test_it_reads_plan_ends_page_by_page(team, spans, monkeypatch):
    monkeypatch.setattr(tracing.PlanSpans, "PAGE", 2)
    # The worker's own look (its first round, before any plan ended) is its last for an hour.
    monkeypatch.setattr(tracing.PlanSpans, "EVERY_SECONDS", 3600)
    plans = [approve(submit_plan(team, [step("a")], goal=f"plan {n}")) for n in range(5)]
    with Worker(name="w1", concurrency=4, poll_seconds=0.02) as worker:
        run_until_idle(worker)
    assert tracing.plan_spans.send() == 5
    sent = {s.attributes["plangate.plan_id"] for s in by_name(spans, tracing.PLAN_SPAN)}
    assert sent == {str(p.pk) for p in plans}
