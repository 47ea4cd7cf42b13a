"""The plan list: the reviewer's teams' plans, newest first, filtered, paged, refreshed live."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans.models import PlanEvent
from tests.factories import approve, step, submit_plan


def titles(response: Any) -> list[str]:
    body = response.content.decode()
    return re.findall(r'<a href="/plans/[0-9a-f-]+/">([^<]*)</a>', body)


def test_it_lists_only_the_plans_of_the_reviewers_teams(
    client: Client, reviewer: Any, team: Any, other_team: Any
) -> None:
    submit_plan(team, title="Ours, older")
    submit_plan(team, title="Ours, newer")
    submit_plan(other_team, title="Theirs")
    client.force_login(reviewer)

    response = client.get("/")

    assert response.status_code == 200
    assert titles(response) == ["Ours, newer", "Ours, older"]
    assert b"Theirs" not in response.content


def test_it_filters_by_status_user_and_topic(client: Client, reviewer: Any, team: Any) -> None:
    approve(submit_plan(team, title="Approved one", user_id="u1", topic_id="t1"))
    submit_plan(team, title="Draft u1 t2", user_id="u1", topic_id="t2")
    submit_plan(team, title="Draft u2 t1", user_id="u2", topic_id="t1")
    client.force_login(reviewer)

    assert titles(client.get("/?status=approved")) == ["Approved one"]
    assert titles(client.get("/?status=draft&user_id=u1")) == ["Draft u1 t2"]
    assert titles(client.get("/?topic_id=t1")) == ["Draft u2 t1", "Approved one"]
    assert titles(client.get("/?status=cancelled")) == []
    assert b"No plans match these filters" in client.get("/?status=cancelled").content


def test_it_reports_a_bad_filter_instead_of_applying_it(
    client: Client, reviewer: Any, team: Any
) -> None:
    submit_plan(team, title="Only plan")
    client.force_login(reviewer)
    response = client.get("/?status=bogus")
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert titles(response) == ["Only plan"]


def test_it_shows_team_status_namespace_and_step_progress(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c")], user_id="u-9", topic_id="t-4")
    client.force_login(reviewer)
    client.post(f"/plans/{plan.pk}/skip", {"key": "c", "reason": "not needed"})

    body = client.get("/").content.decode()

    assert f'href="/plans/{plan.pk}/"' in body
    assert "<td>acme</td>" in body
    assert '<span class="badge badge-draft">Draft</span>' in body
    assert "u-9" in body and "t-4" in body
    assert '<td class="num">1/3</td>' in body


def test_it_pages_fifty_plans_at_a_time_keeping_the_filters(
    client: Client, reviewer: Any, team: Any
) -> None:
    for i in range(51):
        submit_plan(team, [step("a")], title=f"Plan {i:02d}", user_id="u1")
    client.force_login(reviewer)

    first = client.get("/?user_id=u1")
    second = client.get("/?user_id=u1&page=2")

    assert len(titles(first)) == 50
    assert titles(first)[0] == "Plan 50"
    assert titles(second) == ["Plan 00"]
    assert b'href="?user_id=u1&amp;page=2"' in first.content


def test_it_answers_htmx_with_the_table_body_out_of_band(
    client: Client, reviewer: Any, team: Any
) -> None:
    submit_plan(team, title="First")
    client.force_login(reviewer)
    page = client.get("/")
    submit_plan(team, title="Arrived later")
    latest = PlanEvent.objects.latest("id").pk

    response = client.get("/", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert '<tbody id="plan-list-body" hx-swap-oob="true">' in body
    assert titles(response) == ["Arrived later", "First"]
    assert f'id="live-state" data-last-event-id="{latest}"' in body
    assert "HX-Request" in response["Vary"]
    assert f'data-last-event-id="{latest}"' not in page.content.decode()
