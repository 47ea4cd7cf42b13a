"""The plan page and the inbox show a quorum's progress; whoever approved sees that they did."""

from __future__ import annotations

import pytest
from django.test import Client

from plans.models import Plan
from tests.factories import submit_plan
from tests.plans.approvals.support import group, person

pytestmark = pytest.mark.django_db


def header(body: str) -> str:
    return body.split('id="plan-header"')[1].split("</section>")[0]


def test_it_shows_one_of_two_approvals_and_who_still_may_approve(client, reviewer, team):
    bob = person(team, "bob")
    group(team, "finance", reviewer, bob)
    plan = submit_plan(team, required_approvals=2, approver_group="finance")
    client.force_login(reviewer)

    answer = client.post(f"/plans/{plan.pk}/approve", {"version": 1}, follow=True)

    body = answer.content.decode()
    assert "Your approval of version 1 is recorded" in body
    assert "1 of 2 approvals, by alice (reviewer); needs 1 more from finance" in header(body)
    assert "You approved version 1" in header(body)
    assert ">Approve version 1<" not in header(body)
    assert Plan.objects.get(pk=plan.pk).status == "draft"
    other = Client()
    other.force_login(bob)
    theirs = header(other.get(f"/plans/{plan.pk}/").content.decode())
    assert ">Approve version 1<" in theirs
    inbox = other.get("/inbox").content.decode()
    assert "1 of 2 approvals, by alice (reviewer); needs 1 more from finance" in inbox


def test_it_says_why_an_approval_outside_the_group_does_not_count(client, reviewer, team):
    group(team, "finance", person(team, "bob"))
    plan = submit_plan(team, approver_group="finance")
    client.force_login(reviewer)

    answer = client.post(f"/plans/{plan.pk}/approve", {"version": 1})

    assert answer.status_code == 403
    assert "Alice is not in the approver group &#x27;finance&#x27;" in answer.content.decode()
    assert Plan.objects.get(pk=plan.pk).status == "draft"


def test_it_says_the_inbox_approval_is_recorded_when_more_are_needed(client, reviewer, team):
    plan = submit_plan(team, title="Payout", required_approvals=2)
    client.force_login(reviewer)

    answer = client.post("/inbox/approve", {"item": f"{plan.pk}:1"}, follow=True)

    body = answer.content.decode()
    assert "Your approval is recorded; more are needed: Payout." in body
    assert "Approved 1 plan" not in body
    assert Plan.objects.get(pk=plan.pk).status == "draft"
