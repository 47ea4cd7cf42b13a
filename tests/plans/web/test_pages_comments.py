"""The plan page's discussion: comments in a thread and at their step, posted without
JavaScript, rendered as sanitized markdown, and sent to open pages live."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import selectors, services
from plans.discussion.services import comment_add
from plans.models import PlanComment
from tests.factories import approve, step, submit_plan


def thread(body: str) -> str:
    return body[body.index('id="plan-discussion"') : body.index('id="plan-events"')]


def row(body: str, dom_id: str) -> str:
    start = body.index(f'<tr id="{dom_id}"')
    return body[start : body.index("</tr>", start)]


def test_it_adds_a_comment_without_javascript(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    client.force_login(reviewer)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert f'action="/plans/{plan.pk}/comments"' in thread(page)

    response = client.post(f"/plans/{plan.pk}/comments", {"body": "Why **now**?", "step_key": ""})

    comment = PlanComment.objects.get(plan=plan)
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/#comment-{comment.pk}"
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert f'id="comment-{comment.pk}"' in thread(body)
    assert "<strong>now</strong>" in thread(body)
    assert "Comment added." in body


def test_a_step_comment_shows_at_its_row_and_is_marked_in_the_thread(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)

    client.post(f"/plans/{plan.pk}/comments", {"body": "Could go.", "step_key": "b"})

    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Could go." in row(body, "step-b")
    assert "Could go." not in row(body, "step-a")
    marked = " ".join(re.sub(r"<[^>]+>", " ", thread(body)).split())
    assert "alice (reviewer) on step b" in marked
    plan.refresh_from_db()
    assert plan.version == 1


def test_it_renders_markdown_sanitized(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    untrusted = (
        "Fine *mostly*.\n\n<script>alert(1)</script>\n[x](javascript:alert(2))\n"
        '<img src=x onerror="alert(3)">'
    )

    client.post(f"/plans/{plan.pk}/comments", {"body": untrusted})

    body = thread(client.get(f"/plans/{plan.pk}/").content.decode())
    assert "<em>mostly</em>" in body
    assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert not re.search(r"href=\"?javascript", body, re.IGNORECASE)
    assert "<img" not in body
    assert not re.search(r"<[^>]+\son\w+=", body)


def test_it_refuses_an_empty_comment_with_422(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)

    response = client.post(f"/plans/{plan.pk}/comments", {"body": "   "})

    assert response.status_code == 422
    assert "Write a comment." in thread(response.content.decode())
    assert not PlanComment.objects.exists()


def test_an_unknown_step_is_refused_with_422(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)

    response = client.post(f"/plans/{plan.pk}/comments", {"body": "Hi", "step_key": "zz"})

    assert response.status_code == 422
    assert "No step &#x27;zz&#x27; in this plan." in thread(response.content.decode())
    assert "Hi</textarea>" in thread(response.content.decode())


def test_the_live_fragments_carry_a_new_comment(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b")])
    client.force_login(reviewer)
    seen = selectors.latest_event_id(plan.pk)
    comment_add(plan=plan, actor=services.Actor.for_user(reviewer), body="On the plan")
    comment_add(plan=plan, actor=services.SYSTEM, body="On *b*", step_key="b")

    body = client.get(f"/plans/{plan.pk}/live?after={seen}").content.decode()

    assert '<section id="plan-discussion" class="card discussion" hx-swap-oob="true">' in body
    assert "On the plan" in thread(body)
    # The plan's comment changes no row; the step's comment changes its row only.
    assert re.findall(r'<tr id="(step-\w+)"', body) == ["step-b"]
    assert "On <em>b</em>" in row(body, "step-b")


def test_it_needs_the_csrf_token(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    assert client.post(f"/plans/{plan.pk}/comments", {"body": "forged"}).status_code == 403
    assert not PlanComment.objects.exists()


def test_another_teams_plan_is_not_found(client: Client, other_team: Any, team: Any) -> None:
    plan = submit_plan(team)
    comment_add(plan=plan, actor=services.SYSTEM, body="secret")
    client.force_login(other_team.members.get())

    assert client.get(f"/plans/{plan.pk}/").status_code == 404
    assert client.post(f"/plans/{plan.pk}/comments", {"body": "hi"}).status_code == 404
    assert PlanComment.objects.count() == 1
