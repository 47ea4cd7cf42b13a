"""No timer acts on a decision already taken, or on a deadline that moved."""

from __future__ import annotations

import pytest

from plans import services
from plans.gates.services import step_approve
from plans.models import DecisionTimer
from tests.plans.deadlines.support import draft, due, gated

pytestmark = pytest.mark.django_db


def test_it_does_nothing_once_the_plan_was_approved(team, worker):
    team.reminder_seconds = [60]
    team.save()
    plan = draft(team)
    services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)
    due(plan)
    due(plan, kind="reminder")
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status in ("approved", "executing")
    assert not plan.events.filter(kind__in=["decision.timed_out", "deadline.soon"]).exists()
    assert set(DecisionTimer.objects.values_list("outcome", flat=True)) == {
        "nothing to do: decided (approved)"
    }


def test_it_does_nothing_once_the_gate_was_approved(team, worker):
    plan = gated(team, on_timeout="cancel")
    step_approve(plan=plan, key="deploy", actor=services.SYSTEM, version=plan.version)
    due(plan)
    worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status != "cancelled"
    assert not plan.events.filter(kind="decision.timed_out").exists()
