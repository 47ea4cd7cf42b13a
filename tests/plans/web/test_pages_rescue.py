"""The rescue box on the page of a plan that needs attention: retry, skip and fail by form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.orchestration.support import steps_of
from tests.plans.rescue.support import needing_attention

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(reviewer: Any) -> Client:
    client = Client()
    client.force_login(reviewer)
    return client


def test_it_shows_the_failed_step_its_error_and_params(browser: Client, team: Any) -> None:
    plan = needing_attention(team)

    page = browser.get(f"/plans/{plan.pk}/").content.decode()

    assert "Needs attention" in page
    assert "Step <code>fetch</code> failed" in page
    assert "the tool broke" in page
    assert "&quot;list_items&quot;" in page
    assert "Retry step" in page
    assert "Fail the plan" in page


def test_it_retries_with_the_params_the_reviewer_typed(browser: Client, team: Any) -> None:
    plan = needing_attention(team)
    params = '{"function": "list_items", "items": ["fixed"]}'

    response = browser.post(
        f"/plans/{plan.pk}/rescue/retry", {"key": "fetch", "version": 2, "params": params}
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "executing"
    assert steps_of(plan)["fetch"].params == {"function": "list_items", "items": ["fixed"]}
    page = browser.get(response["Location"]).content.decode()
    assert "Retrying step fetch." in page
    assert "Needs attention" not in page


def test_it_says_what_is_wrong_with_the_params(browser: Client, team: Any) -> None:
    plan = needing_attention(team)

    bad_json = browser.post(
        f"/plans/{plan.pk}/rescue/retry", {"key": "fetch", "version": 2, "params": "{oops"}
    )
    refused = browser.post(
        f"/plans/{plan.pk}/rescue/retry",
        {"key": "fetch", "version": 2, "params": '{"function": "rm"}'},
    )

    assert bad_json.status_code == 422
    assert "Not valid JSON" in bad_json.content.decode()
    assert "{oops" in bad_json.content.decode()
    assert refused.status_code == 422
    assert "rm" in refused.content.decode()
    plan.refresh_from_db()
    assert plan.status == "needs_attention"


def test_it_refuses_a_decision_on_an_older_version(browser: Client, team: Any) -> None:
    plan = needing_attention(team)

    response = browser.post(f"/plans/{plan.pk}/rescue/fail", {"version": 1, "reason": "x"})

    assert response.status_code == 409
    assert "you saw version 1, it is now version 2" in response.content.decode()


def test_it_skips_the_failed_step(browser: Client, team: Any) -> None:
    plan = needing_attention(team)

    response = browser.post(f"/plans/{plan.pk}/skip", {"key": "fetch", "reason": "by hand"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "executing"


def test_it_fails_the_plan(browser: Client, team: Any) -> None:
    plan = needing_attention(team)

    response = browser.post(f"/plans/{plan.pk}/rescue/fail", {"version": 2, "reason": "gone"})

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "failed"


def test_it_marks_plans_that_need_attention_in_the_list(browser: Client, team: Any) -> None:
    needing_attention(team)

    page = browser.get("/").content.decode()

    assert 'class="needs-attention"' in page
    assert "badge-needs_attention" in page


def test_it_hides_the_box_from_another_team(other_team: Any, team: Any) -> None:
    from django.contrib.auth import get_user_model

    stranger = get_user_model().objects.create_user("stranger", password="x")
    other_team.members.add(stranger)
    client = Client()
    client.force_login(stranger)
    plan = needing_attention(team)

    response = client.post(f"/plans/{plan.pk}/rescue/fail", {"version": 2, "reason": "x"})

    assert response.status_code == 404
