"""on_timeout approve (where the team allows it) approves, recorded as approved via timeout."""

from __future__ import annotations

import pytest

from tests.plans.deadlines.support import draft, due, gated

pytestmark = pytest.mark.django_db


@pytest.fixture
def lenient_team(team):
    team.allow_approve_on_timeout = True
    team.save()
    return team


def test_it_approves_the_plan_at_its_current_version(lenient_team, worker):
    plan = draft(lenient_team, on_timeout="approve")
    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert plan.approved_via == "timeout"
    assert plan.approved_version == 1
    assert plan.events.get(kind="plan.approved").source == "timeout"
    assert plan.events.get(kind="decision.timed_out").data["action"] == "approve"


def test_it_approves_a_gate(lenient_team, worker):
    plan = gated(lenient_team, on_timeout="approve")
    due(plan)
    assert worker.fire_due_timers()
    gate = plan.steps.get(key="deploy")
    assert (gate.status, gate.gate_approved_by) == ("pending", "system:timeout")
    assert plan.events.get(kind="step.approved").source == "timeout"
