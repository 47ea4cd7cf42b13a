"""In real headless Chromium: the top bar's inbox count follows the team's other plans on a plan's
page, and on its edit page, without a reload."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from plans import services
from tests.browser.test_review_flow import chromium, server  # noqa: F401
from tests.browser.test_revisions_flow import log_in, shoot
from tests.conftest import ALL_SCOPES
from tests.factories import submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_count_moves_when_another_plan_of_the_team_does(
    server: str,  # noqa: F811
    team: Any,
    reviewer: Any,
    other_team: Any,
) -> None:
    plan = submit_plan(team, title="Open here")
    ours = services.token_create(team=team, name="agent", scopes=ALL_SCOPES)[1]
    theirs = services.token_create(team=other_team, name="agent", scopes=ALL_SCOPES)[1]

    def call(token: str, path: str, body: dict[str, Any]) -> None:
        # Through the API, as an integration would: this thread runs the browser's event loop,
        # where Django refuses database calls.
        answer = httpx.post(
            f"{server}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.is_success, answer.text

    def submit(token: str, title: str) -> None:
        steps = [{"key": "a", "task": "do a", "executor": "echo"}]
        call(
            token,
            "/plans",
            {"title": title, "goal": title, "user_id": "u", "topic_id": "t", "steps": steps},
        )

    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        log_in(page, server, f"/plans/{plan.pk}/")
        expect(page.locator("#live-indicator")).to_have_text("live")
        count = page.locator("#inbox-count .inbox-count")
        expect(count).to_have_text("1")
        page.evaluate("window.__stillTheSamePage = true")

        submit(theirs, "Another team's")
        submit(ours, "A new draft")
        expect(count).to_have_text("2")
        assert page.evaluate("window.__stillTheSamePage") is True
        shoot(page, "live-count-plan")

        page.goto(f"{server}/plans/{plan.pk}/edit")
        expect(count).to_have_text("2")
        page.wait_for_timeout(1500)  # the count's socket is open and has read the log
        page.evaluate("window.__stillTheSamePage = true")
        call(ours, f"/plans/{plan.pk}/request-changes", {"version": 1, "comment": "Smaller."})
        expect(count).to_have_text("1")
        assert page.evaluate("window.__stillTheSamePage") is True
        # Only the count is live here: the page does not claim to be.
        expect(page.locator("#live-indicator")).to_be_hidden()
        shoot(page, "live-count-edit")
