"""In headless Chromium at desktop and phone widths: the plan's deadline and a gate's show in
the page without scrolling it sideways, and the extension form works without JavaScript."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from plans import services
from plans.models import ApproverGroup, Plan
from tests.browser.test_csp import log_in
from tests.browser.test_review_flow import ARTIFACTS, chromium, server
from tests.factories import approve, step, submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]

SHOTS = Path(os.environ.get("PLANGATE_SHOTS", ARTIFACTS))


def test_it_shows_deadlines_at_desktop_and_phone_width(
    server: str, team: Any, reviewer: Any
) -> None:
    ApproverGroup.objects.create(team=team, name="finance", escalation_rank=1)
    draft = submit_plan(
        team,
        [step("fetch"), step("publish", "fetch", approval="required", decision_deadline=900)],
        title="Publish the Q3 report",
        decision_deadline=2 * 3600 + 5 * 60 + 30,
        on_timeout="escalate",
    )
    gated = approve(
        submit_plan(
            team,
            [
                step(
                    "deploy_to_production_after_every_check_has_passed",
                    approval="required",
                    decision_deadline=3 * 86400,
                    on_timeout="skip",
                ),
                step("report", "deploy_to_production_after_every_check_has_passed"),
            ],
            title="Deploy",
        )
    )
    services.plan_start(plan=gated, actor=services.SYSTEM)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        for width in (1280, 390):
            page = browser.new_page(
                viewport={"width": width, "height": 900}, java_script_enabled=False
            )
            log_in(page, f"{server}/plans/{draft.pk}/", "alice")
            expect(page.locator("#deadline-plan")).to_contain_text(
                "then it will be escalated to finance"
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(SHOTS / f"deadline-plan-{width}.png"), full_page=True)
            page.goto(f"{server}/plans/{gated.pk}/")
            expect(page.locator(".gate .deadline")).to_contain_text("then it will be skipped")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(SHOTS / f"deadline-gate-{width}.png"), full_page=True)
            page.close()
        page = browser.new_page(viewport={"width": 390, "height": 900}, java_script_enabled=False)
        log_in(page, f"{server}/plans/{draft.pk}/", "alice")
        page.locator("#deadline-plan summary").click()
        page.locator("#deadline-plan-seconds").select_option(label="1 day")
        page.locator("#deadline-plan-reason").fill("waiting for the auditors")
        page.screenshot(path=str(SHOTS / "deadline-extend-open-390.png"), full_page=True)
        page.get_by_role("button", name="Extend", exact=True).click()
        expect(page.locator("body")).to_contain_text("Extended the plan's deadline")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "deadline-extended-390.png"), full_page=True)
    plan = Plan.objects.get(pk=draft.pk)
    assert plan.events.get(kind="deadline.extended").data["reason"] == "waiting for the auditors"
