"""The timers of a wait are written with the change that starts it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plans import services
from plans.models import DecisionTimer
from plans.revisions.services import RevisionDraft, plan_revise
from tests.factories import step
from tests.plans.deadlines.support import draft, gated

pytestmark = pytest.mark.django_db


def test_it_writes_the_deadline_and_the_reminders_ahead_with_the_submission(team):
    team.reminder_seconds = [600, 7200]
    team.save()
    plan = draft(team, decision_deadline=3600)
    timers = list(DecisionTimer.objects.filter(plan=plan).values_list("kind", "fire_at"))
    # The reminder 2 hours before a deadline 1 hour away had passed already: none.
    assert timers == [
        ("reminder", plan.deadline_at - timedelta(seconds=600)),
        ("deadline", plan.deadline_at),
    ]


def test_it_starts_a_gates_deadline_when_the_gate_starts_waiting(team):
    plan = gated(team, seconds=600)
    gate = plan.steps.get(key="deploy")
    assert gate.status == "awaiting_approval"
    timer = DecisionTimer.objects.get(plan=plan)
    assert (timer.step_key, timer.kind, timer.fire_at) == ("deploy", "deadline", gate.deadline_at)
    assert timer.created_at - timedelta(seconds=5) < gate.deadline_at - timedelta(seconds=600)


def test_it_keeps_the_plans_deadline_through_a_revision(team, reviewer):
    plan = draft(team, decision_deadline=3600)
    deadline = plan.deadline_at
    plan_revise(
        plan=plan,
        actor=services.SYSTEM,
        draft=RevisionDraft(base_version=1, steps=[step("a"), step("c", "a")]),
    )
    plan.refresh_from_db()
    assert plan.deadline_at == deadline
    assert DecisionTimer.objects.filter(plan=plan, kind="deadline", fired_at=None).count() == 1


def test_it_shows_deadlines_in_the_revision_content(team):
    plan = gated(team, seconds=600, on_timeout="skip")
    content = plan.revisions.get(version=1).content
    assert content["steps"][0]["decision_deadline"] == 600
    assert content["steps"][0]["on_timeout"] == "skip"
    assert "decision_deadline" not in content["steps"][1]
    until = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    plan = draft(team, decision_deadline=until.isoformat(), on_timeout="escalate")
    content = plan.revisions.get(version=1).content
    assert content["decision_deadline"] == until.isoformat()
    assert content["on_timeout"] == "escalate"
