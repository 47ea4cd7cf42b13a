"""In real headless Chromium: edit a step's params in the page, read the diff, approve, and see a
worker run the edited step; and a plan that changes under an open page."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from plans import services
from tests.browser.test_review_flow import ARTIFACTS, chromium, server  # noqa: F401
from tests.factories import step, submit_plan
from tests.processes import running

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Screenshots of each page state, at desktop and phone width.
SHOTS = Path(os.environ.get("PLANGATE_SHOTS", ARTIFACTS / "revisions"))


def log_in(page: Page, server: str, path: str) -> None:  # noqa: F811
    page.goto(f"{server}{path}")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(path)))


def shoot(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px; at 390 the page must not scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow} px wide at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_reviewer_edits_params_reads_the_diff_approves_and_the_edit_runs(
    server: str,  # noqa: F811
    team: Any,
    reviewer: Any,
) -> None:
    plan = submit_plan(
        team,
        [step("greet", params={"name": "world", "style": {"loud": False}}), step("after", "greet")],
        title="Greeting",
    )
    worker = ["manage.py", "runworker", "--concurrency", "2"]
    with running(worker, log=ARTIFACTS / "revisions-worker.log"), chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        log_in(page, server, f"/plans/{plan.pk}/edit")
        shoot(page, "edit")
        params = page.locator("#steps-0-params")
        params.fill('{"name": "Plangate", "style": {"loud": ')
        page.get_by_role("button", name="Save as version 2").click()
        expect(page.locator("#steps-0-params-error")).to_contain_text("Not valid JSON")
        shoot(page, "edit-json-error")
        page.locator("#steps-0-params").fill('{"name": "Plangate", "style": {"loud": true}}')
        page.get_by_label("Why (shown with the revision)").fill("greet the project")
        page.get_by_role("button", name="Save as version 2").click()
        expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/$"))
        expect(page.locator("#messages")).to_contain_text("Saved as version 2")
        shoot(page, "plan-after-edit")

        page.get_by_role("link", name="changes from version 1").click()
        diff = page.locator(".diff")
        expect(diff).to_contain_text("params.name")
        expect(diff.locator("del.diff-old").first).to_contain_text('"world"')
        expect(diff.locator("ins.diff-new").first).to_contain_text('"Plangate"')
        shoot(page, "diff")

        page.go_back()
        page.get_by_role("button", name="Approve version 2").click()
        row = page.locator("#step-greet")
        expect(row).to_contain_text(re.compile("completed", re.I))
        expect(row.locator(".outcome")).to_contain_text('"name": "Plangate"')
        expect(page.locator("#plan-header")).to_contain_text(re.compile("completed", re.I))

    plan.refresh_from_db()
    assert plan.approved_version == 2
    assert plan.steps.get(key="greet").result["params"]["name"] == "Plangate"


def test_an_open_page_says_the_plan_changed_and_keeps_its_version(
    server: str,  # noqa: F811
    team: Any,
    reviewer: Any,
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")], title="Moving target")
    _, token = services.token_create(team=team, name="agent")
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        log_in(page, server, f"/plans/{plan.pk}/")
        expect(page.locator("#live-indicator")).to_have_text("live")
        page.evaluate("window.__stillTheSamePage = true")
        # The agent adds an artifact while the reviewer reads version 1.
        answer = httpx.post(
            f"{server}/api/v1/plans/{plan.pk}/artifacts",
            json={"title": "Late finding", "summary": "It costs more."},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201
        header = page.locator("#plan-header")
        expect(header).to_contain_text("Changed since you opened it: version 1 → 2")
        expect(header.locator(".diff")).to_contain_text("Late finding")
        button = page.get_by_role("button", name=re.compile("^Approve version"))
        expect(button).to_have_text("Approve version 1")
        expect(button).to_be_disabled()
        assert page.evaluate("window.__stillTheSamePage") is True
        shoot(page, "changed-banner")

        page.get_by_role("link", name="Review version 2").click()
        expect(page.get_by_role("button", name="Approve version 2")).to_be_enabled()
        expect(page.locator("#plan-header")).not_to_contain_text("Changed since you opened it")
