"""In real headless Chromium: a step that asks when it fails holds its plan; the reviewer fixes
its params in the rescue box, retries it, and watches the plan complete, without a reload."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import approve, step, submit_plan
from tests.orchestration.functions import FUNCTIONS, FUNCTIONS_ENV
from tests.processes import running, serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Where to save screenshots of the page's states, when set (PLANGATE_SHOTS=/tmp/shots).
SHOTS = os.environ.get("PLANGATE_SHOTS", "")


@pytest.fixture
def server() -> Iterator[str]:
    # The server checks a retry's params too: it must know the test's functions.
    with serving(
        log=ARTIFACTS / "rescue-server.log", PLANGATE_TEST_FUNCTIONS=FUNCTIONS_ENV
    ) as live:
        yield f"http://{live.address}"


def shoot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow, f"{name} overflows at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_reviewer_retries_a_failed_step_with_fixed_params(
    server: str, team: Any, reviewer: Any, allow_functions: Any
) -> None:
    allow_functions(fetch_source=FUNCTIONS["fetch_source"])
    plan = approve(
        submit_plan(
            team,
            [
                step(
                    "fetch",
                    task="Fetch the figures",
                    executor="python",
                    params={"function": "fetch_source", "source": "erp-old"},
                    on_failure="ask",
                ),
                step("publish", "fetch", task="Publish the report"),
            ],
            title="Quarterly figures",
        )
    )
    worker = ["manage.py", "runworker", "--concurrency", "2"]
    env = {"PLANGATE_TEST_FUNCTIONS": FUNCTIONS_ENV}
    with running(worker, log=ARTIFACTS / "rescue-worker.log", **env), chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/plans/{plan.pk}/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()

        box = page.locator("#plan-rescue")
        expect(box).to_be_visible()
        expect(box).to_contain_text("Step fetch failed")
        expect(box).to_contain_text("unknown source 'erp-old'")
        expect(page.locator("#plan-header")).to_contain_text(re.compile("needs attention", re.I))
        page.evaluate("window.__stillTheSamePage = true")
        shoot(page, "needs-attention")
        listing = context.new_page()
        listing.goto(f"{server}/")
        expect(listing.locator(".needs-attention")).to_contain_text("Needs attention")
        shoot(listing, "list")
        listing.close()

        params = box.get_by_label(re.compile("^Params"))
        params.fill("{oops")
        box.get_by_role("button", name="Retry step").click()
        expect(box).to_contain_text("Not valid JSON")
        shoot(page, "bad-params")

        params.fill(json.dumps({"function": "fetch_source", "source": "good"}))
        box.get_by_role("button", name="Retry step").click()
        expect(page.locator("#plan-header")).to_contain_text(re.compile("completed", re.I))
        expect(box).to_be_hidden()
        expect(page.locator("#step-fetch")).to_contain_text("good")
        expect(page.locator("#step-publish")).to_contain_text(re.compile("completed", re.I))
        assert page.evaluate("window.__stillTheSamePage") is True
        shoot(page, "completed")
