"""A plan whose deadline passes is cancelled by a worker (fail safe), the timeout recorded."""

from __future__ import annotations

import pytest

from plans.models import DecisionTimer
from tests.plans.deadlines.support import draft, due, gated

pytestmark = pytest.mark.django_db


def test_it_cancels_a_plan_whose_deadline_passed(team, worker):
    plan = draft(team)
    assert not worker.fire_due_timers()  # not due yet
    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    assert plan.cancel_reason == "decision deadline passed"
    timed_out = plan.events.get(kind="decision.timed_out")
    assert timed_out.source == "timeout"
    assert timed_out.actor == "system:timeout"
    assert timed_out.data == {"deadline": plan.deadline_at.isoformat(), "action": "cancel"}
    assert plan.events.get(kind="plan.cancelled").source == "timeout"
    assert DecisionTimer.objects.get(plan=plan).fired_at is not None
    assert not worker.fire_due_timers()


def test_it_cancels_the_plan_of_a_gate_whose_deadline_passed(team, worker):
    plan = gated(team, on_timeout="cancel")
    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    assert plan.events.get(kind="decision.timed_out").step_key == "deploy"
