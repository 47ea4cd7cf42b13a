"""In real headless Chromium: a plan whose steps name catalog actions and need plan inputs shows
each action with its description and a form for the inputs; a bad value is shown against its
field, and once the inputs are supplied the plan can be approved. Fits a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import chromium, server  # noqa: F401 - the fixture
from tests.factories import step, submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where to save screenshots of the page's states, when set (PLANGATE_SHOTS=/tmp/shots).
SHOTS = os.environ.get("PLANGATE_SHOTS", "")


def fits(page: Page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
            for part in ("plan-inputs", "step-tell"):
                page.locator(f"#{part}").screenshot(path=f"{SHOTS}/{name}-{part}-{width}.png")
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} overflows at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_reviewer_supplies_the_inputs_then_approves(
    server: str,  # noqa: F811 - the fixture
    team: Any,
    reviewer: Any,
) -> None:
    plan = submit_plan(
        team,
        [
            step(
                "count",
                task="Count the words of the brief",
                executor="",
                action="count_words",
                inputs={"text": {"$input": "brief"}},
            ),
            step(
                "add",
                task="Add up the quotes",
                executor="",
                action="sum_numbers",
                inputs={"numbers": {"$input": "quotes"}},
            ),
            step(
                "tell",
                task="Tell the team",
                executor="",
                action="note",
                inputs={
                    "message": "The quotes are in",
                    "audience": {"$input": "audience"},
                    "urgent": {"$input": "urgent"},
                },
            ),
        ],
        title="Quote review",
    )
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/plans/{plan.pk}/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()

        box = page.locator("#plan-inputs")
        expect(box).to_contain_text("needs 4 more inputs")
        expect(page.locator("#step-count")).to_contain_text("Counts the words of a text.")
        expect(page.get_by_role("button", name="Approve version 1")).to_be_disabled()
        fits(page, "inputs-form")

        box.get_by_label("brief").fill("Three quotes to compare")
        box.get_by_label("quotes").fill("120\nabout 80\n")
        box.get_by_label("audience").select_option("team")
        box.get_by_role("button", name="Supply inputs").click()
        expect(page.locator("#plan-inputs")).to_contain_text("line 2 is not a number")
        fits(page, "inputs-error")

        box = page.locator("#plan-inputs")
        box.get_by_label("quotes").fill("120\n80.5\n")
        box.get_by_label("urgent").check()
        box.get_by_role("button", name="Supply inputs").click()
        expect(page.locator("body")).to_contain_text("Inputs supplied: version 2")
        expect(page.locator("#plan-inputs")).to_contain_text("[120, 80.5]")
        fits(page, "inputs-supplied")
        page.get_by_role("button", name="Approve version 2").click()
        expect(page.locator("#plan-header")).to_contain_text(re.compile("approved|executing", re.I))
