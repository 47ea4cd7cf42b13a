"""The plan page says when a decision is due and what happens then, and extends it."""

from __future__ import annotations

import re

import pytest

from plans.models import ApproverGroup
from tests.plans.deadlines.support import draft, gated

pytestmark = pytest.mark.django_db


def test_it_shows_the_deadline_and_what_happens_then(client, reviewer, team):
    plan = draft(team, decision_deadline=2 * 3600 + 5 * 60 + 30)
    client.force_login(reviewer)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert re.search(
        r"Decide by (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC \(in 2 h 5 min\); then it will be cancelled",
        text,
    )


def test_it_names_the_group_an_escalation_goes_to(client, reviewer, team):
    ApproverGroup.objects.create(team=team, name="finance", escalation_rank=1)
    plan = draft(team, on_timeout="escalate")
    client.force_login(reviewer)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "then it will be escalated to finance" in page


def test_it_shows_a_gates_deadline_in_its_box(client, reviewer, team):
    plan = gated(team, on_timeout="skip")
    client.force_login(reviewer)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "then it will be skipped" in page


def test_it_extends_the_deadline_from_the_page(client, reviewer, team):
    plan = draft(team, decision_deadline=600)
    old = plan.deadline_at
    client.force_login(reviewer)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert f'action="/plans/{plan.pk}/deadline"' in page
    answer = client.post(
        f"/plans/{plan.pk}/deadline",
        {"step_key": "", "version": 1, "seconds": 3600, "reason": "waiting for numbers"},
    )
    assert answer.status_code == 302
    plan.refresh_from_db()
    assert (plan.deadline_at - old).total_seconds() == 3600
    event = plan.events.get(kind="deadline.extended")
    assert (event.actor, event.source, event.data["reason"]) == (
        "user:alice",
        "browser",
        "waiting for numbers",
    )
    assert "Extended the plan" in client.get(f"/plans/{plan.pk}/").content.decode()


def test_it_refuses_an_extension_when_nothing_waits(client, reviewer, team):
    plan = draft(team)
    client.force_login(reviewer)
    client.post(f"/plans/{plan.pk}/cancel", {"reason": "no"})
    answer = client.post(f"/plans/{plan.pk}/deadline", {"version": 1, "seconds": 3600})
    assert answer.status_code == 409
    assert "no decision on it is pending" in answer.content.decode()
