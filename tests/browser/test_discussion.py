"""In real headless Chromium: a reviewer comments on a plan and a step, another reviewer's open
page shows the comments without a reload, and the first sends the draft back with changes
requested. At phone width nothing overflows the page."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import chromium
from tests.factories import TeamFactory, UserFactory, step, submit_plan
from tests.processes import ROOT, serving

ARTIFACTS = ROOT / "test-artifacts"
# Set to a directory to keep screenshots of each state, at desktop and phone width.
SHOTS = os.environ.get("PLANGATE_SHOTS_DIR", "")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, server: str, path: str, username: str) -> None:
    page.goto(f"{server}{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(path)))


def shoot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
        for part in ("plan-header", "plan-discussion"):
            shot = Path(SHOTS) / f"{name}-{width}-{part}.png"
            page.locator(f"#{part}").screenshot(path=str(shot))
    page.set_viewport_size({"width": 1280, "height": 900})


def fits_phone_width(page: Page) -> bool:
    page.set_viewport_size({"width": 390, "height": 900})
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    return bool(fits)


def test_reviewers_discuss_a_plan_and_request_changes(reviewer: Any) -> None:
    team = TeamFactory(name="acme", members=[reviewer, UserFactory(username="bob")])
    plan = submit_plan(
        team,
        [
            step("fetch", task="Fetch the quarterly figures from the ERP"),
            step("draft", "fetch", task="Draft the report"),
        ],
        title="Q3 report",
    )
    path = f"/plans/{plan.pk}/"
    with serving(log=ARTIFACTS / "browser-discussion.log") as live, chromium() as browser:
        server = f"http://{live.address}"
        alice = browser.new_context().new_page()
        bob = browser.new_context().new_page()
        for page in (alice, bob):
            page.set_default_timeout(20_000)
        log_in(alice, server, path, "alice")
        log_in(bob, server, path, "bob")
        expect(bob.locator("#live-indicator")).to_have_text("live")

        alice.locator("#comment-body").fill("Why **two** steps? <script>alert(1)</script>")
        alice.get_by_role("button", name="Add comment").last.click()
        expect(alice.locator("#plan-discussion")).to_contain_text("Why two steps?")
        alice.locator("#comment-step-draft summary").click()
        alice.locator("#comment-body-step-draft").fill("Keep it *short*.")
        alice.locator("#comment-step-draft").get_by_role("button", name="Add comment").click()
        expect(alice.locator("#step-draft")).to_contain_text("Keep it short.")

        # Bob's page was open all along: the comments arrive live.
        bob.evaluate("window.__stillTheSamePage = true")
        expect(bob.locator("#plan-discussion")).to_contain_text("Why two steps?")
        expect(bob.locator("#plan-discussion")).to_contain_text("<script>alert(1)</script>")
        expect(bob.locator("#step-draft")).to_contain_text("Keep it short.")
        assert bob.evaluate("window.__stillTheSamePage") is True
        assert fits_phone_width(alice)
        shoot(alice, "1-comments")

        alice.locator("#request-changes summary").click()
        alice.locator("#request-changes-comment").fill("Use the *EU* figures.")
        alice.locator("#request-changes-step-fetch").fill("From the EU ledger.")
        assert fits_phone_width(alice)
        shoot(alice, "2-request-form")
        alice.evaluate("window.__stillTheSamePage = true")
        alice.get_by_role("button", name=re.compile("^request changes to version 1", re.I)).click()
        header = alice.locator("#plan-header")
        expect(header).to_contain_text("Changes requested by alice (reviewer) on version 1")
        expect(header).to_contain_text("From the EU ledger.")
        expect(header.locator("#request-changes")).to_have_count(0)
        assert alice.evaluate("window.__stillTheSamePage") is True
        expect(bob.locator("#plan-header")).to_contain_text("Changes requested by alice (reviewer)")
        assert fits_phone_width(alice)
        shoot(alice, "3-changes-requested")
