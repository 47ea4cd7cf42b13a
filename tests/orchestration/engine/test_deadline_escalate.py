"""on_timeout escalate passes the decision up the team's escalation chain, each time with a new
deadline, and cancels at its end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from plans.models import ApproverGroup, DecisionTimer
from tests.plans.deadlines.support import draft, due, gated

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(team):
    ApproverGroup.objects.create(team=team, name="outsiders")  # not in the chain
    return [
        ApproverGroup.objects.create(team=team, name="leads", escalation_rank=1),
        ApproverGroup.objects.create(team=team, name="finance", escalation_rank=5),
    ]


def test_it_escalates_twice_then_cancels_at_the_end_of_the_chain(team, chain, worker):
    team.escalation_deadline_seconds = 1800
    team.save()
    plan = draft(team, decision_deadline=600, on_timeout="escalate")

    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert (plan.status, plan.approver_group.name) == ("draft", "leads")
    first = plan.events.get(kind="decision.escalated")
    assert (first.data["from"], first.data["to"], first.source) == (None, "leads", "timeout")
    assert plan.deadline_at - timezone.now() > timedelta(seconds=1790)
    assert first.data["deadline"] == plan.deadline_at.isoformat()
    assert DecisionTimer.objects.filter(plan=plan, fired_at=None).get().fire_at == plan.deadline_at

    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.approver_group.name == "finance"
    assert plan.events.filter(kind="decision.escalated").last().data["from"] == "leads"

    due(plan)
    assert worker.fire_due_timers()
    plan.refresh_from_db()
    assert plan.status == "cancelled"
    last = plan.events.filter(kind="decision.timed_out").last()
    assert last.data["action"] == "cancel"
    assert "escalation chain" in last.data["escalation"]
    assert plan.events.filter(kind="decision.timed_out").count() == 3


def test_it_gives_the_escalated_decision_a_deadline_as_long_as_the_first(team, chain, worker):
    plan = gated(team, on_timeout="escalate", seconds=600)
    due(plan)
    assert worker.fire_due_timers()
    gate = plan.steps.get(key="deploy")
    assert (gate.status, gate.approval_group.name) == ("awaiting_approval", "leads")
    left = gate.deadline_at - timezone.now()
    assert timedelta(seconds=590) < left <= timedelta(seconds=600)
