"""A submission that says nothing about deadlines gets the team's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plans.models import DecisionTimer
from tests.factories import step, submit_plan

pytestmark = pytest.mark.django_db


def test_it_has_no_deadline_by_default(team):
    plan = submit_plan(team, [step("a", approval="required")])
    assert plan.deadline_at is None
    assert plan.steps.get().on_timeout == ""
    assert not DecisionTimer.objects.exists()


def test_it_takes_the_teams_deadline_and_action(team):
    team.decision_deadline_seconds = 7200
    team.on_timeout = "escalate"
    team.gate_deadline_seconds = 900
    team.save()
    plan = submit_plan(team, [step("a", approval="required"), step("b", "a")])
    assert plan.deadline_at - plan.created_at == pytest.approx(
        timedelta(hours=2), abs=timedelta(seconds=2)
    )
    assert plan.on_timeout == "escalate"
    gate = plan.steps.get(key="a")
    assert (gate.deadline_seconds, gate.on_timeout) == (900, "escalate")
    assert plan.steps.get(key="b").deadline_seconds is None


def test_it_prefers_what_the_submission_says(team):
    team.decision_deadline_seconds = 7200
    team.save()
    plan = submit_plan(team, decision_deadline=60, on_timeout="escalate")
    assert plan.deadline_at - plan.created_at < timedelta(seconds=62)
    assert plan.on_timeout == "escalate"


def test_it_does_not_approve_by_a_team_default_the_team_does_not_allow(team):
    team.decision_deadline_seconds = 60
    team.on_timeout = "approve"
    team.save()
    assert submit_plan(team).on_timeout == "cancel"
