"""Approving a plan from its page: with and without JavaScript, and the 409s."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import services
from plans.models import Plan
from tests.factories import approve, submit_plan

HTMX = {"HX-Request": "true"}


def approve_form_version(body: str) -> int:
    match = re.search(r'name="version" value="(\d+)"', body)
    assert match, "no approve form on the page"
    return int(match.group(1))


def test_it_approves_with_a_plain_form_post_and_redirects_back(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    assert approve_form_version(client.get(f"/plans/{plan.pk}/").content.decode()) == 1

    response = client.post(f"/plans/{plan.pk}/approve", {"version": 1})

    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert plan.approved_by == reviewer
    assert plan.approved_via == "browser"
    assert plan.approved_version == 1
    page = client.get(response["Location"]).content.decode()
    assert "Approved version 1; a worker will run it." in page
    assert 'name="version"' not in page  # no approve button on an approved plan


def test_it_answers_htmx_with_the_changed_fragments(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)

    response = client.post(f"/plans/{plan.pk}/approve", {"version": 1}, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert '<section id="plan-header" class="card plan-header" hx-swap-oob="true">' in body
    assert '<span class="badge badge-approved">Approved</span>' in body
    assert 'id="plan-progress"' in body and 'id="plan-events"' in body
    assert re.search(r'<template>\s*<tr id="step-a"[^>]*hx-swap-oob="true"', body)
    assert '<div id="messages" class="messages" aria-live="polite" hx-swap-oob="true">' in body
    assert "Approved version 1" in body
    assert Plan.objects.get(pk=plan.pk).status == "approved"


def test_it_refuses_a_stale_version_and_shows_the_current_one(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Late finding")
    )

    response = client.post(f"/plans/{plan.pk}/approve", {"version": 1})

    body = response.content.decode()
    assert response.status_code == 409
    assert (
        "This plan changed since you opened it (you saw version 1, it is now version 2). "
        "Review it again before approving." in body
    )
    assert "Late finding" in body
    assert approve_form_version(body) == 2
    assert Plan.objects.get(pk=plan.pk).status == "draft"
    assert client.post(f"/plans/{plan.pk}/approve", {"version": 2}).status_code == 302


def test_it_shows_the_stale_version_message_to_htmx_too(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Late finding")
    )
    response = client.post(f"/plans/{plan.pk}/approve", {"version": 1}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 409
    assert 'id="plan-header" class="card plan-header" hx-swap-oob="true"' in body
    assert "you saw version 1, it is now version 2" in body
    # The open page keeps its button on the version it showed, and says what changed.
    assert approve_form_version(body) == 1
    assert "Changed since you opened it: version 1 → 2" in body
    assert "Review version 2" in body


def test_a_second_approval_is_refused_naming_the_status(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = approve(submit_plan(team))
    client.force_login(reviewer)
    response = client.post(f"/plans/{plan.pk}/approve", {"version": 1})
    assert response.status_code == 409
    assert "Cannot approve a plan that is approved." in response.content.decode()


def test_it_refuses_an_approval_without_a_version(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    response = client.post(f"/plans/{plan.pk}/approve", {})
    assert response.status_code == 422
    assert Plan.objects.get(pk=plan.pk).status == "draft"


def test_it_only_takes_posts(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    assert client.get(f"/plans/{plan.pk}/approve").status_code == 405
    assert Plan.objects.get(pk=plan.pk).status == "draft"
