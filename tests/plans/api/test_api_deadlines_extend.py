"""A reviewer extends a deadline over the API: recorded, timers replaced, refusals explained."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plans.models import DecisionTimer
from tests.conftest import ApiClient
from tests.plans.deadlines.support import deciding_token, draft, gated

pytestmark = pytest.mark.django_db


@pytest.fixture
def decider(team):
    return ApiClient(deciding_token(team))


def test_it_extends_the_plans_deadline_and_moves_its_timers(team, decider):
    team.reminder_seconds = [600]
    team.save()
    plan = draft(team, decision_deadline=3600)
    old = plan.deadline_at
    answer = decider.post(
        f"/plans/{plan.pk}/deadline", {"version": 1, "seconds": 7200, "reason": "on leave"}
    )
    assert answer.status_code == 200, answer.json()
    plan.refresh_from_db()
    assert plan.deadline_at == old + timedelta(hours=2)
    assert answer.json()["decision_deadline"]["at"].startswith(plan.deadline_at.isoformat()[:19])
    event = plan.events.get(kind="deadline.extended")
    assert event.data["old"] == old.isoformat()
    assert event.data["new"] == plan.deadline_at.isoformat()
    assert event.data["reason"] == "on leave"
    assert event.data["by"].startswith("token:")
    pending = DecisionTimer.objects.filter(plan=plan, fired_at=None)
    assert sorted(pending.values_list("kind", flat=True)) == ["deadline", "reminder"]
    assert {t.deadline_at for t in pending} == {plan.deadline_at}
    # Nothing is left due at the old moment.
    assert not DecisionTimer.objects.filter(plan=plan, deadline_at=old).exists()


def test_it_extends_a_gate_until_a_time(team, decider):
    plan = gated(team)
    until = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    answer = decider.post(
        f"/plans/{plan.pk}/deadline", {"step_key": "deploy", "until": until.isoformat()}
    )
    assert answer.status_code == 200, answer.json()
    gate = next(s for s in answer.json()["steps"] if s["key"] == "deploy")
    assert gate["decision_deadline"]["on_timeout"] == "cancel"
    assert plan.steps.get(key="deploy").deadline_at == until


def test_it_answers_409_naming_the_state_when_nothing_waits_with_a_deadline(team, decider):
    plan = draft(team)
    decider.post(f"/plans/{plan.pk}/cancel", {"reason": "no"})
    answer = decider.post(f"/plans/{plan.pk}/deadline", {"seconds": 60})
    assert answer.status_code == 409
    assert answer.json()["status"] == "cancelled"
    assert "cancelled" in answer.json()["detail"]


def test_it_refuses_bad_extensions_with_their_paths(team, decider):
    plan = draft(team)
    both = decider.post(
        f"/plans/{plan.pk}/deadline", {"seconds": 60, "until": "2030-01-01T00:00:00Z"}
    )
    assert both.status_code == 422
    assert both.json()["detail"][0]["loc"] == ["body", "seconds"]
    earlier = decider.post(f"/plans/{plan.pk}/deadline", {"until": timezone.now().isoformat()})
    assert earlier.status_code == 422
    assert earlier.json()["detail"][0]["loc"] == ["body", "until"]
    negative = decider.post(f"/plans/{plan.pk}/deadline", {"seconds": -5})
    assert negative.status_code == 422
    stale = decider.post(f"/plans/{plan.pk}/deadline", {"seconds": 60, "version": 7})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
