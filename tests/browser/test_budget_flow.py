"""In real headless Chromium: a plan stops at its budget; the reviewer raises it on the plan page
and watches the plan resume and complete, without a reload; the team's admin sees the month's
spending on the team settings page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from plans import selectors
from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import approve, step, submit_plan
from tests.processes import running, serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where to save screenshots of the page's states, when set (PLANGATE_SHOTS=/tmp/shots).
SHOTS = os.environ.get("PLANGATE_SHOTS", "")
COSTS_ONE = {"usage": {"model": "small", "input_tokens": 1200, "output_tokens": 300, "cost": 1}}


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "budget-server.log") as live:
        yield f"http://{live.address}"


def latest_event_id(plan_id: Any) -> int:
    try:
        return selectors.latest_event_id(plan_id)
    finally:
        connection.close()


def shoot(page: Page, name: str, box: str) -> None:
    """The whole page and the box that changed, at desktop and phone width."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        page.locator(box).screenshot(path=f"{SHOTS}/{name}-box-{width}.png")
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} overflows at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_reviewer_raises_the_budget_and_the_plan_completes(
    server: str, team: Any, reviewer: Any
) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step("draft", task="Draft the summary", params=COSTS_ONE, estimated_cost="1"),
                step("review", "draft", task="Review it", params=COSTS_ONE, estimated_cost="1"),
                step("send", "review", task="Send it", params=COSTS_ONE, estimated_cost="1"),
            ],
            title="Weekly summary",
            budget="1.50",
        )
    )
    # An admin, who decides as reviewers do and also sees the team's settings.
    team.memberships.filter(user=reviewer).update(role="admin")
    worker = ["manage.py", "runworker", "--concurrency", "2"]
    with running(worker, log=ARTIFACTS / "budget-worker.log"), chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/plans/{plan.pk}/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()

        box = page.locator("#plan-budget")
        expect(box).to_contain_text("Budget reached: 2.00 of 1.50.")
        expect(page.locator("#plan-header")).to_contain_text(re.compile("needs attention", re.I))
        expect(page.locator("#step-send")).to_contain_text(re.compile("pending", re.I))
        expect(page.locator("#step-draft")).to_contain_text("Cost 1.00")
        page.evaluate("window.__stillTheSamePage = true")
        shoot(page, "budget-reached", "#plan-budget")

        # Every change so far has reached the page: no live update re-renders the box after
        # the form's answer below.
        # (Read on a thread of its own: Playwright's loop runs on this one.)
        with ThreadPoolExecutor(1) as reader:
            latest = str(reader.submit(latest_event_id, plan.pk).result())
        expect(page.locator("#live-state")).to_have_attribute("data-last-event-id", latest)
        box.get_by_label("Raise to").fill("1")
        box.get_by_role("button", name="Raise budget").click()
        expect(box).to_contain_text("must be a number above what the plan spent (2.00)")

        box.get_by_label("Raise to").fill("10")
        box.get_by_role("button", name="Raise budget").click()
        expect(page.locator("#plan-header")).to_contain_text(re.compile("completed", re.I))
        expect(box).to_contain_text("3.00 of 10.00")
        expect(page.locator("#step-send")).to_contain_text("Cost 1.00")
        assert page.evaluate("window.__stillTheSamePage") is True
        shoot(page, "budget-completed", "#plan-budget")

        page.goto(f"{server}/teams/{team.pk}/settings/")
        expect(page.locator("#team-budget")).to_contain_text("Weekly summary")
        shoot(page, "team-budget", "#team-budget")
