"""In real headless Chromium: a reviewer of a 250-step plan pages through its rows, goes to a step
by its key and lands on its row, at a desktop's width and a phone's, never scrolling sideways."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from plans import services
from tests.browser.test_csp import log_in
from tests.browser.test_review_flow import ARTIFACTS, chromium, server
from tests.factories import step, submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]


def test_a_reviewer_pages_through_a_big_plan_and_goes_to_a_step(
    server: str, team: Any, reviewer: Any
) -> None:
    plan = submit_plan(
        team,
        [step(f"s{i:03d}", *([f"s{i - 50:03d}"] if i >= 50 else [])) for i in range(250)],
        title="A big plan",
    )
    for key in ["s120", "s130"]:
        services.step_skip(plan=plan, key=key, actor=services.SYSTEM, reason="not needed")

    with chromium() as browser:
        for width, height in [(1280, 900), (390, 844)]:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(20_000)
            log_in(page, f"{server}/accounts/login/?next=/plans/{plan.pk}/", "alice")
            expect(page.locator("#steps-nav")).to_contain_text("Steps 1\u2013100 of 250")
            expect(page.locator("tr.step")).to_have_count(100)
            page.screenshot(path=str(ARTIFACTS / f"big-plan-{width}.png"))
            page.locator("#steps-nav").screenshot(path=str(ARTIFACTS / f"big-plan-nav-{width}.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width

            # The count of skipped steps links to the first of them, on the second page.
            page.locator("#steps-nav").get_by_role("link", name="first: s120").click()
            expect(page).to_have_url(re.compile(r"\?page=2#step-s120$"))
            expect(page.locator("#step-s120")).to_be_in_viewport()

            page.locator("#steps-nav").get_by_role("link", name="Next →").click()
            expect(page).to_have_url(re.compile(r"\?page=3#steps$"))
            expect(page.locator("tr.step").first).to_have_id("step-s200")

            page.get_by_label("Go to step").fill("s090")
            page.get_by_role("button", name="Go").click()
            expect(page).to_have_url(re.compile(r"\?page=1#step-s090$"))
            expect(page.locator("#step-s090")).to_be_in_viewport()
            page.screenshot(path=str(ARTIFACTS / f"big-plan-step-{width}.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.close()
