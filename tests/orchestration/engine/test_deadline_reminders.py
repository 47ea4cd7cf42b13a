"""Reminders go out at the team's reminder points before a deadline."""

from __future__ import annotations

import pytest

from tests.plans.deadlines.support import draft, due

pytestmark = pytest.mark.django_db


def test_it_records_a_reminder_before_the_deadline(team, worker):
    team.reminder_seconds = [1800, 300]
    team.save()
    plan = draft(team, decision_deadline=3600)
    assert due(plan, kind="reminder") == 2
    assert worker.fire_due_timers()
    soon = list(plan.events.filter(kind="deadline.soon"))
    assert len(soon) == 2
    assert soon[0].data["deadline"] == plan.deadline_at.isoformat()
    assert 3500 < soon[0].data["seconds_left"] <= 3600
    plan.refresh_from_db()
    assert plan.status == "draft"
