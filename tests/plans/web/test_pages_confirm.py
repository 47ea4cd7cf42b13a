"""The confirmation pages an email links to: a GET shows, only a POST decides."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans.models import PlanEvent
from tests.factories import step, submit_plan


def approve_link(plan: Any, version: int = 1) -> str:
    return f"/plans/{plan.pk}/confirm/approve/?version={version}"


def test_it_shows_the_plan_and_does_not_act_on_a_get(client: Any, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("fetch", params={"url": "https://example.com/data"})])
    client.force_login(reviewer)

    response = client.get(approve_link(plan))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Approve version 1" in page
    assert "fetch" in page
    assert "https://example.com/data" in page
    assert 'name="csrfmiddlewaretoken"' in page
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_approves_on_post_as_an_email_decision(client: Any, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)

    response = client.post(approve_link(plan), {"version": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert (plan.status, plan.approved_via, plan.approved_by) == ("approved", "email", reviewer)
    event = PlanEvent.objects.get(plan=plan, kind="plan.approved")
    assert (event.source, event.actor) == ("email", "user:alice")


def test_it_refuses_a_post_without_the_csrf_token(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    assert client.post(approve_link(plan), {"version": "1"}).status_code == 403
    page = client.get(approve_link(plan)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        approve_link(plan), {"version": "1", "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"


def test_it_refuses_a_version_the_email_did_not_announce(
    client: Any, reviewer: Any, team: Any
) -> None:
    from plans import services

    plan = submit_plan(team)
    services.artifact_add(plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft("notes"))
    client.force_login(reviewer)

    shown = client.get(approve_link(plan)).content.decode()
    response = client.post(approve_link(plan), {"version": "1"})

    assert "it is now version 2" in shown
    assert "Approve version" not in shown
    assert response.status_code == 409
    assert "it is now version 2" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_cancels_on_post_with_the_reason(client: Any, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    link = f"/plans/{plan.pk}/confirm/cancel/?version=1"

    assert "Cancel plan" in client.get(link).content.decode()
    client.post(link, {"version": "1", "reason": "not now"})

    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == ("cancelled", "not now")
    assert PlanEvent.objects.get(plan=plan, kind="plan.cancelled").source == "email"


def test_it_sends_a_visitor_to_log_in_and_back(client: Any, team: Any) -> None:
    plan = submit_plan(team)

    response = client.get(approve_link(plan))

    assert response.status_code == 302
    assert response["Location"] == (
        f"/accounts/login/?next=/plans/{plan.pk}/confirm/approve/%3Fversion%3D1"
    )


def test_it_shows_another_teams_plan_as_missing(
    client: Any, other_team: Any, reviewer: Any
) -> None:
    plan = submit_plan(other_team)
    client.force_login(reviewer)

    assert client.get(approve_link(plan)).status_code == 404
    assert client.post(approve_link(plan), {"version": "1"}).status_code == 404
