"""In real headless Chromium: a gated step shows the real result of its dependency, a reviewer
approves it on the page, and a worker in another process runs it, without a reload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.browser.test_review_flow import server as server
from tests.factories import approve, step, submit_plan
from tests.processes import running

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_approves_a_gate_with_its_real_inputs_and_watches_it_run(
    server: str,
    team: Any,
    reviewer: Any,
) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step("fetch", task="Fetch the figures", params={"quarter": "Q3", "rows": 1234}),
                step(
                    "publish",
                    "fetch",
                    task="Publish the report",
                    approval="required",
                    params={"channel": "#finance"},
                ),
                step("notes", task="Write release notes"),
            ],
            title="Quarterly report",
        )
    )
    worker = ["manage.py", "runworker", "--concurrency", "2"]
    with running(worker, log=ARTIFACTS / "browser-gate-worker.log"), chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        page.goto(f"{server}/plans/{plan.pk}/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()
        expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/"))

        row = page.locator("#step-publish")
        gate = row.locator(".gate")
        # The worker ran fetch and the independent step; publish waits with fetch's result.
        expect(gate).to_contain_text("Waiting for your decision")
        expect(gate).to_contain_text("from fetch")
        expect(gate.locator(".gate-inputs")).to_contain_text('"quarter": "Q3"')
        expect(gate.locator(".gate-params")).to_contain_text('"channel": "#finance"')
        expect(page.locator("#step-notes")).to_contain_text(re.compile("completed", re.I))
        expect(page.locator("#plan-header")).to_contain_text("Waiting for your decision: publish")
        page.screenshot(path=str(ARTIFACTS / "browser-gate-1280.png"), full_page=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.context.add_cookies(page.context.cookies())
        phone.goto(f"{server}/plans/{plan.pk}/")
        phone.locator("#gate-edit-step-publish > summary").click()
        phone.screenshot(path=str(ARTIFACTS / "browser-gate-390.png"), full_page=True)
        box = ARTIFACTS / "browser-gate-box-390.png"
        phone.locator("#gate-step-publish").screenshot(path=str(box))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.close()

        page.evaluate("window.__stillTheSamePage = true")
        gate.get_by_role("button", name="Approve", exact=True).click()
        expect(row).to_contain_text(re.compile("completed", re.I))
        expect(page.locator("#plan-header")).to_contain_text(re.compile("completed", re.I))
        expect(row.locator(".outcome")).to_contain_text('"quarter": "Q3"')
        assert page.evaluate("window.__stillTheSamePage") is True
        page.screenshot(path=str(ARTIFACTS / "browser-gate-done.png"), full_page=True)

    plan.refresh_from_db()
    assert plan.status == "completed"
    publish = plan.steps.get(key="publish")
    assert publish.gate_approved_by == "user:alice"
