"""In real headless Chromium: log in, open a draft plan, approve it, and watch a worker in another
process complete it on the page, without a reload."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.factories import step, submit_plan
from tests.processes import ROOT, running, serving

CHROMIUM = os.environ.get("PLANGATE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextmanager
def chromium() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread, and Django refuses database calls
    # while one runs: the test touches the database only outside this block.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "browser-server.log") as live:
        yield f"http://{live.address}"


def test_a_reviewer_approves_a_plan_and_watches_a_worker_complete_it(
    server: str, team: Any, reviewer: Any
) -> None:
    slow = {"function": "sleep", "seconds": 0.4}
    plan = submit_plan(
        team,
        [
            step("gather", task="Gather the sources"),
            step("summarise", "gather", executor="python", params=slow),
            step("check", "gather", executor="python", params=slow),
            step("publish", "summarise", "check", task="Publish the summary"),
        ],
        title="Weekly digest",
    )
    worker = ["manage.py", "runworker", "--concurrency", "2"]
    with running(worker, log=ARTIFACTS / "browser-worker.log"), chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/plans/{plan.pk}/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()
        expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/"))
        header = page.locator("#plan-header")
        expect(header).to_contain_text("Weekly digest")
        expect(header).to_contain_text(re.compile("draft", re.I))

        # A marker on the window survives only if the page is never reloaded.
        page.evaluate("window.__stillTheSamePage = true")
        page.get_by_role("button", name=re.compile("^approve", re.I)).click()
        expect(header).to_contain_text(re.compile("completed", re.I))
        for key in ["gather", "summarise", "check", "publish"]:
            expect(page.locator(f"#step-{key}")).to_contain_text(re.compile("completed", re.I))
        expect(page.locator("#plan-progress")).to_contain_text("4 of 4 steps done")
        assert page.evaluate("window.__stillTheSamePage") is True
        page.screenshot(path=str(ARTIFACTS / "browser-completed.png"), full_page=True)

    plan.refresh_from_db()
    assert plan.status == "completed"
    assert plan.approved_via == "browser"
    assert plan.approved_by == reviewer
