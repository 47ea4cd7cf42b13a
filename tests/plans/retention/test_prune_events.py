"""manage.py prune_events: old events of ended plans go, decisions and running plans stay."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from plans import services
from plans.audit.selectors import decisions_for_team
from plans.models import EventKind, Plan, PlanEvent
from plans.states import PlanStatus
from tests.factories import approve, submit_plan

pytestmark = pytest.mark.django_db


def _ended(team: Any, *, days_ago: int) -> Plan:
    """A plan approved by a person, run (two step events) and completed `days_ago` days ago."""
    plan = approve(submit_plan(team))
    for key in ("a", "b"):
        PlanEvent.objects.create(plan=plan, kind=EventKind.STEP_STARTED, step_key=key, actor="w")
        PlanEvent.objects.create(plan=plan, kind=EventKind.STEP_COMPLETED, step_key=key, actor="w")
    Plan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.COMPLETED, finished_at=timezone.now() - timedelta(days=days_ago)
    )
    return plan


def _kinds(plan: Plan) -> list[str]:
    return list(plan.events.order_by("id").values_list("kind", flat=True))


def _prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_events", *args, stdout=out)
    return out.getvalue()


def test_it_deletes_old_events_of_ended_plans_and_keeps_their_decisions(team: Any) -> None:
    old = _ended(team, days_ago=40)
    decisions_before = [d.id for d in decisions_for_team(team)]
    assert EventKind.STEP_STARTED in _kinds(old)

    out = _prune("--days", "30", "--batch-size", "2")

    assert "Deleted 4 events of 1 plans" in out
    assert EventKind.STEP_STARTED not in _kinds(old)
    assert EventKind.STEP_COMPLETED not in _kinds(old)
    assert EventKind.PLAN_CREATED in _kinds(old)
    assert EventKind.PLAN_APPROVED in _kinds(old)
    # The audit export reads the same decisions as before.
    assert [d.id for d in decisions_for_team(team)] == decisions_before


def test_it_keeps_every_event_of_plans_that_have_not_ended_or_ended_recently(team: Any) -> None:
    running = approve(submit_plan(team))
    PlanEvent.objects.create(plan=running, kind=EventKind.STEP_STARTED, step_key="a", actor="w")
    PlanEvent.objects.filter(plan=running).update(created_at=timezone.now() - timedelta(days=90))
    recent = _ended(team, days_ago=5)
    before = {p.pk: _kinds(p) for p in (running, recent)}

    out = _prune("--days", "30")

    assert "Deleted 0 events of 0 plans" in out
    assert {p.pk: _kinds(p) for p in (running, recent)} == before


def test_a_dry_run_counts_and_deletes_nothing(team: Any) -> None:
    old = _ended(team, days_ago=40)
    before = _kinds(old)

    out = _prune("--days", "30", "--dry-run")

    assert "Would delete 4 events of 1 plans" in out
    assert _kinds(old) == before


def test_include_decisions_deletes_every_event_of_the_plan(team: Any) -> None:
    old = _ended(team, days_ago=40)

    _prune("--days", "30", "--include-decisions")

    assert _kinds(old) == []


def test_it_takes_the_setting_and_refuses_without_one(team: Any, settings: Any) -> None:
    old = _ended(team, days_ago=40)
    settings.PLANGATE_EVENT_RETENTION_DAYS = 0
    with pytest.raises(CommandError, match="no retention set"):
        _prune()
    settings.PLANGATE_EVENT_RETENTION_DAYS = 60
    assert "Deleted 0 events" in _prune()
    settings.PLANGATE_EVENT_RETENTION_DAYS = 30
    assert "Deleted 4 events" in _prune()
    assert EventKind.STEP_STARTED not in _kinds(old)


def test_a_cancelled_plan_is_ended_too(team: Any) -> None:
    plan = submit_plan(team)
    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="no")
    PlanEvent.objects.create(plan=plan, kind=EventKind.ARTIFACT_ADDED, actor="x")
    Plan.objects.filter(pk=plan.pk).update(finished_at=timezone.now() - timedelta(days=40))

    _prune("--days", "30")

    assert EventKind.ARTIFACT_ADDED not in _kinds(plan)
    assert EventKind.PLAN_CANCELLED in _kinds(plan)
