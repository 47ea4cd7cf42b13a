"""Requesting changes from the plan page: a form that works without JavaScript, then a notice."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import services
from plans.models import PlanComment
from tests.factories import approve, step, submit_plan


def section(body: str, dom_id: str) -> str:
    start = body.index(f'id="{dom_id}"')
    return body[start : body.index("</details>", start)]


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_draft_offers_the_form_with_a_field_per_step(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    form = section(body, "request-changes")
    assert f'action="/plans/{plan.pk}/request-changes"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<input type="hidden" name="version" value="1">' in form
    assert 'name="comment"' in form
    assert 'name="step:a"' in form
    assert 'name="step:b"' in form


def test_it_sends_the_plan_back_and_shows_who_asked_for_what(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)

    response = client.post(
        f"/plans/{plan.pk}/request-changes",
        {"version": 1, "comment": "Use the *EU* figures.", "step:a": "", "step:b": "In German."},
    )

    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert "Changes requested by alice (reviewer) on version 1" in text(body)
    assert "<em>EU</em>" in body
    assert '<span class="badge badge-changes_requested">Changes requested</span>' in body
    assert 'id="request-changes"' not in body
    assert "Approve version" not in body
    assert "Cancel plan…" in body
    b_row = body[body.index('<tr id="step-b"') : body.index("</tr>", body.index('<tr id="step-b"'))]
    assert "In German." in b_row
    assert list(PlanComment.objects.filter(plan=plan).values_list("step_key", flat=True)) == [
        "",
        "b",
    ]


def test_it_asks_for_a_comment_and_keeps_what_was_typed(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a")])
    client.force_login(reviewer)

    response = client.post(
        f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": " ", "step:a": "Kept."}
    )

    assert response.status_code == 422
    form = section(response.content.decode(), "request-changes")
    assert "Say what should change." in form
    assert "Kept.</textarea>" in form
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_refuses_a_version_the_reviewer_did_not_see(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Late finding")
    )
    client.force_login(reviewer)

    response = client.post(
        f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "Redo it"}
    )

    assert response.status_code == 409
    assert "you saw version 1, it is now version 2" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_is_offered_only_on_drafts(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team))
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()
    refused = client.post(f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "Hm"})

    assert 'id="request-changes"' not in body
    assert refused.status_code == 409
    assert "Cannot request changes to a plan that is approved." in refused.content.decode()


def test_an_htmx_request_gets_the_header_with_the_notice(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)

    response = client.post(
        f"/plans/{plan.pk}/request-changes",
        {"version": 1, "comment": "Redo it"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert '<section id="plan-header" class="card plan-header" hx-swap-oob="true">' in body
    assert "Changes requested by alice (reviewer)" in text(body)


def test_it_needs_the_csrf_token(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    response = client.post(f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "x"})

    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_another_teams_plan_is_not_found(client: Client, other_team: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(other_team.members.get())

    response = client.post(f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "x"})

    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.status == "draft"
