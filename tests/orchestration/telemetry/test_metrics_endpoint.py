"""/metrics counts what is in the database: plans, live steps, the queue, circuits and the
decisions waiting for reviewers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from plans import services
from plans.models import ExecutorCircuit, Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def scrape(client, **extra):
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    helps = {}
    for family in text_string_to_metric_families(response.content.decode()):
        helps[family.name] = family.documentation
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples, helps


def by(samples, name, *label_names):
    """{label values: value} of one metric, keyed by the named labels' values."""
    found = {}
    for labels, value in samples.get(name, {}).items():
        found[tuple(dict(labels)[n] for n in label_names)] = value
    return found


def test_it_counts_plans_steps_queue_circuits_and_waiting_decisions(
    client, team, other_team, worker
):
    now = timezone.now()
    # A plan waiting at a gate (its first step done), and a plan run to the end.
    gated = approve(
        submit_plan(team, [step("fetch"), step("deploy", "fetch", approval="required")])
    )
    done = approve(submit_plan(team, [step("only")], goal="done"))
    run_until_idle(worker)
    assert steps_of(gated)["deploy"].status == "awaiting_approval"
    PlanEvent.objects.filter(plan=gated, kind="step.awaiting_approval").update(
        created_at=now - timedelta(seconds=120)
    )
    done.refresh_from_db()
    assert done.status == "completed"
    # Two plans awaiting approval, the older submitted 300 s ago; one cancelled.
    older = submit_plan(team, [step("x"), step("y", "x")], goal="older")
    Plan.objects.filter(pk=older.pk).update(created_at=now - timedelta(seconds=300))
    submit_plan(other_team, [step("z")], goal="newer")
    cancelled = submit_plan(team, [step("w")], goal="cancelled")
    services.plan_cancel(plan=cancelled, actor=services.SYSTEM, reason="not needed")
    # An executing plan no worker has touched: a and c are ready, b waits for a.
    ready = approve(
        submit_plan(
            team,
            [
                step("a"),
                step("b", "a"),
                step("c", executor="python", params={"function": "list_items", "items": [1]}),
            ],
            goal="ready",
        )
    )
    assert services.plan_start(plan=ready, actor=services.SYSTEM)
    ExecutorCircuit.objects.create(team=team, executor="http", state="open", consecutive_failures=5)
    ExecutorCircuit.objects.create(team=other_team, executor="echo", state="closed")

    samples, helps = scrape(client)

    assert by(samples, "plangate_plans", "status") == {
        ("draft",): 2,
        ("changes_requested",): 0,
        ("approved",): 0,
        ("executing",): 2,
        ("needs_attention",): 0,
        ("completed",): 1,
        ("failed",): 0,
        ("cancelled",): 1,
    }
    # Steps of live plans only: not the drafts', not the ended plans'.
    assert by(samples, "plangate_steps", "status", "executor") == {
        ("completed", "echo"): 1,
        ("awaiting_approval", "echo"): 1,
        ("pending", "echo"): 2,
        ("pending", "python"): 1,
    }
    assert by(samples, "plangate_queue_depth", "executor") == {
        ("combine",): 0,
        ("echo",): 1,
        ("http",): 0,
        ("python",): 1,
        ("shell",): 0,
    }
    assert by(samples, "plangate_circuit_state", "team", "executor", "state") == {
        ("acme", "http", "closed"): 0,
        ("acme", "http", "open"): 1,
        ("acme", "http", "half_open"): 0,
        ("globex", "echo", "closed"): 1,
        ("globex", "echo", "open"): 0,
        ("globex", "echo", "half_open"): 0,
    }
    assert by(samples, "plangate_circuit_consecutive_failures", "team", "executor") == {
        ("acme", "http"): 5,
        ("globex", "echo"): 0,
    }
    assert by(samples, "plangate_decisions_waiting", "kind") == {
        ("plan",): 2,
        ("gate",): 1,
        ("rescue",): 0,
    }
    oldest = by(samples, "plangate_decision_oldest_wait_seconds", "kind")
    assert 300 <= oldest[("plan",)] < 330
    assert 120 <= oldest[("gate",)] < 150
    assert oldest[("rescue",)] == 0
    # Nothing spent yet; every metric says what it means.
    assert by(samples, "plangate_team_month_spend", "team") == {}
    assert all(name.startswith("plangate_") and helps[name] for name in helps)


def test_an_empty_database_gives_zeros_not_errors(client, db):
    samples, _ = scrape(client)
    assert set(by(samples, "plangate_plans", "status").values()) == {0}
    assert by(samples, "plangate_steps", "status", "executor") == {}
    assert by(samples, "plangate_decision_oldest_wait_seconds", "kind") == {
        ("plan",): 0,
        ("gate",): 0,
        ("rescue",): 0,
    }


def test_it_reports_what_each_team_spent_this_month(client, team, other_team, worker):
    plan = approve(submit_plan(team, [step("ask", params={"usage": {"model": "m", "cost": 1.5}})]))
    run_until_idle(worker)
    assert Plan.objects.get(pk=plan.pk).status == "completed"

    samples, _ = scrape(client)

    assert by(samples, "plangate_team_month_spend", "team") == {(team.name,): 1.5}
