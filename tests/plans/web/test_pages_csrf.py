"""The review forms are protected against cross-site request forgery: a post without the page's
token is refused and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from plans.models import Plan, Team
from tests.factories import submit_plan
from tests.plans.gates.support import started
from tests.plans.rescue.support import needing_attention


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


def edit_form(plan: Plan) -> dict[str, Any]:
    """The edit form of the default two-step plan, with a new title."""
    return {
        "base_version": plan.version,
        "title": "Forged",
        "goal": plan.goal,
        "steps-0-task": "do a",
        "steps-0-executor": "echo",
        "steps-0-params": "{}",
        "steps-1-task": "do b",
        "steps-1-executor": "echo",
        "steps-1-params": "{}",
        "steps-1-depends_on": "a",
    }


# Each form: the plan it acts on, its URL, and what the page posts.
OTHER_FORMS: dict[str, tuple[Callable[[Team], Plan], str, Callable[[Plan], dict[str, Any]]]] = {
    "edit": (submit_plan, "/plans/{}/edit", edit_form),
    "gate decision": (
        started,
        "/plans/{}/gate",
        lambda plan: {"key": "deploy", "version": plan.version},
    ),
    "rescue retry": (
        needing_attention,
        "/plans/{}/rescue/retry",
        lambda plan: {"key": "fetch", "version": plan.version},
    ),
    "rescue fail": (
        needing_attention,
        "/plans/{}/rescue/fail",
        lambda plan: {"version": plan.version, "reason": "forged"},
    ),
    "inbox cancel": (submit_plan, "/inbox/{}/cancel", lambda plan: {"reason": "forged"}),
    "inbox skip": (
        started,
        "/inbox/{}/skip",
        lambda plan: {"key": "deploy", "reason": "forged"},
    ),
}


def snapshot(plan: Plan) -> tuple[Any, ...]:
    plan = Plan.objects.get(pk=plan.pk)
    steps = plan.steps.order_by("key").values_list("key", "status", "params")
    return (plan.status, plan.version, plan.title, plan.cancel_reason, list(steps))


@pytest.mark.parametrize("form", OTHER_FORMS)
def test_each_other_form_refuses_a_post_without_the_csrf_token(
    form: str, reviewer: Any, team: Any
) -> None:
    make, url, data = OTHER_FORMS[form]
    plan = make(team)
    path = url.format(plan.pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    before = snapshot(plan)

    response = client.post(path, data(plan))

    assert response.status_code == 403
    assert snapshot(plan) == before
    # The same post with the page's token goes through: the refusal was for the token alone.
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    client.post(path, {**data(plan), "csrfmiddlewaretoken": token.group(1)})
    assert snapshot(plan) != before
