"""In real headless Chromium: a reviewer drafts a plan from a goal, supplies the input the
planner could not find in the goal, approves, and watches a worker in another process run it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from plans.models import Plan
from tests.browser.test_review_flow import ARTIFACTS, chromium, server  # noqa: F401 - the fixture
from tests.processes import running

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PLANGATE_SHOTS", "")


def fits(page: Page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} overflows at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_goal_becomes_a_plan_that_runs_once_its_input_is_supplied(
    server: str,  # noqa: F811 - the fixture
    team: Any,
    reviewer: Any,
) -> None:
    worker = ["manage.py", "runworker", "--concurrency", "2"]
    with running(worker, log=ARTIFACTS / "browser-propose-worker.log"), chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()

        page.get_by_role("link", name="Plan from a goal").click()
        expect(page).to_have_url(re.compile(r"/plans/new$"))
        fits(page, "propose-form")
        page.get_by_label("Goal").fill("Book a flight to Lisbon")
        page.get_by_role("button", name="Draft the plan").click()
        expect(page.locator(".propose-form")).to_contain_text("no action of the catalog matches")
        fits(page, "propose-error")

        page.get_by_label("Goal").fill("Count the words of the launch announcement")
        page.get_by_role("button", name="Draft the plan").click()
        expect(page).to_have_url(re.compile(r"/plans/[0-9a-f-]{36}/$"))
        expect(page.locator("body")).to_contain_text("Planned: review the draft below")
        expect(page.locator("#step-count-words")).to_contain_text("Counts the words of a text.")
        expect(page.get_by_role("button", name="Approve version 1")).to_be_disabled()
        fits(page, "propose-draft")

        box = page.locator("#plan-inputs")
        box.get_by_label("text").fill("We ship the new planner on Monday")
        box.get_by_role("button", name="Supply inputs").click()
        expect(page.locator("body")).to_contain_text("Inputs supplied: version 2")
        page.get_by_role("button", name="Approve version 2").click()
        header = page.locator("#plan-header")
        expect(header).to_contain_text(re.compile("completed", re.I))
        expect(page.locator("#step-count-words")).to_contain_text('"words": 7')
        fits(page, "propose-completed")

    plan = Plan.objects.get()
    assert plan.status == "completed"
    assert plan.goal == "Count the words of the launch announcement"
    assert plan.events.filter(kind="planning.done").exists()
