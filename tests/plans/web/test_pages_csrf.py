"""The review forms are protected against cross-site request forgery."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans.models import Plan
from tests.factories import submit_plan


def test_it_refuses_a_post_without_the_csrf_token(reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    for path, data in [
        (f"/plans/{plan.pk}/approve", {"version": 1}),
        (f"/plans/{plan.pk}/cancel", {"reason": "forged"}),
        (f"/plans/{plan.pk}/skip", {"key": "a", "reason": "forged"}),
    ]:
        assert client.post(path, data).status_code == 403
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert plan.steps.get(key="a").status == "pending"


def test_it_accepts_the_token_from_the_page_as_field_or_htmx_header(
    reviewer: Any, team: Any
) -> None:
    first, second = submit_plan(team), submit_plan(team)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    page = client.get(f"/plans/{first.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)
    assert token and header_token

    form_post = client.post(
        f"/plans/{first.pk}/approve", {"version": 1, "csrfmiddlewaretoken": token.group(1)}
    )
    htmx_post = client.post(
        f"/plans/{second.pk}/approve",
        {"version": 1},
        headers={"HX-Request": "true", "X-CSRFToken": header_token.group(1)},
    )

    assert (form_post.status_code, htmx_post.status_code) == (302, 200)
    assert set(Plan.objects.values_list("status", flat=True)) == {"approved"}
