"""The admin: tokens shown once, plan actions going through the state rules, events read-only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from plans import services
from plans.models import ApiToken, PlanEvent
from tests.conftest import ApiClient
from tests.factories import UserFactory, step, submit_plan


@pytest.fixture
def admin_client_(db: Any) -> Client:
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_creating_a_token_shows_the_secret_once(admin_client_: Client, team: Any) -> None:
    response = admin_client_.post(
        "/admin/plans/apitoken/add/",
        {"team": team.pk, "name": "agent", "scopes": ["plans:submit", "plans:read"]},
        follow=True,
    )
    assert response.status_code == 200
    match = re.search(r"(pgt_[0-9a-f]+_[\w-]+)", response.content.decode())
    assert match, "the secret is shown after creation"
    secret = match.group(1)
    token = ApiToken.objects.get(name="agent")
    assert token.team == team
    assert secret not in token.hashed_secret
    assert ApiClient(secret).get("/plans").status_code == 200
    page = admin_client_.get(f"/admin/plans/apitoken/{token.pk}/change/")
    assert secret not in page.content.decode()


def test_the_approve_action_follows_the_state_rules(admin_client_: Client, team: Any) -> None:
    draft = submit_plan(team)
    cancelled = submit_plan(team)
    services.plan_cancel(plan=cancelled, actor=services.SYSTEM, reason="x")
    response = admin_client_.post(
        "/admin/plans/plan/",
        {"action": "approve", "_selected_action": [str(draft.pk), str(cancelled.pk)]},
        follow=True,
    )
    text = response.content.decode()
    assert "cannot approve a plan that is cancelled" in text
    draft.refresh_from_db()
    assert (draft.status, draft.approved_via, draft.approved_by.username) == (
        "approved",
        "browser",
        "root",
    )
    assert PlanEvent.objects.filter(plan=draft, kind="plan.approved", actor="user:root").exists()


def test_the_skip_action_skips_pending_steps(admin_client_: Client, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b")])
    a = plan.steps.get(key="a")
    admin_client_.post(
        "/admin/plans/planstep/", {"action": "skip", "_selected_action": [str(a.pk)]}, follow=True
    )
    a.refresh_from_db()
    assert (a.status, a.skip_reason) == ("skipped", "skipped in the admin")


def test_events_cannot_be_edited_or_deleted(admin_client_: Client, team: Any) -> None:
    plan = submit_plan(team)
    event = plan.events.get()
    assert admin_client_.get(f"/admin/plans/planevent/{event.pk}/delete/").status_code == 403
    admin_client_.post(f"/admin/plans/planevent/{event.pk}/change/", {"kind": "plan.completed"})
    event.refresh_from_db()
    assert event.kind == "plan.created"
    assert admin_client_.get(f"/admin/plans/plan/{plan.pk}/change/").status_code == 200
