"""Cancelling a plan from its page."""

from __future__ import annotations

from typing import Any

from django.test import Client

from plans.models import Plan
from tests.factories import submit_plan


def test_it_cancels_with_a_reason_and_shows_it(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    assert b"Cancel plan" in client.get(f"/plans/{plan.pk}/").content

    response = client.post(f"/plans/{plan.pk}/cancel", {"reason": "wrong <customer>"})

    assert response.status_code == 302
    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.status, plan.cancel_reason) == ("cancelled", "wrong <customer>")
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Cancelled the plan." in page
    assert '<dd class="cancel-reason">wrong &lt;customer&gt;</dd>' in page
    assert "Skipped: plan cancelled" in page
    assert 'action="/plans/' + str(plan.pk) + '/cancel"' not in page  # no form on an ended plan


def test_cancelling_a_cancelled_plan_is_refused_naming_the_status(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    client.post(f"/plans/{plan.pk}/cancel", {"reason": "first"})

    response = client.post(f"/plans/{plan.pk}/cancel", {"reason": "second"})

    assert response.status_code == 409
    assert "Cannot cancel a plan that is cancelled." in response.content.decode()
    assert Plan.objects.get(pk=plan.pk).cancel_reason == "first"


def test_it_answers_htmx_with_the_cancelled_header(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    response = client.post(
        f"/plans/{plan.pk}/cancel", {"reason": "no"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="plan-header" class="card plan-header" hx-swap-oob="true"' in body
    assert '<span class="badge badge-cancelled">Cancelled</span>' in body
