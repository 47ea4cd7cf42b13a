"""In real headless Chromium at a phone's width (390 px): neither the plan list nor a plan page
scrolls sideways, with long keys, long params and fan-out items; the steps are cards and their
actions are on screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from executors.protocol import FailureClass, StepOutcome
from orchestration.engine.worker import Worker
from plans import services
from plans.models import Plan
from tests.browser.test_csp import log_in
from tests.browser.test_review_flow import ARTIFACTS, chromium, server
from tests.factories import WORKER, approve, claim, finish, step, submit_plan
from tests.orchestration.support import fanned_out, run_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]

LONG_KEY = "fetch_every_invoice_of_the_quarter_from_the_accounting_system_and_normalise_it"
LONG_URL = "https://api.example.com/v2/" + "very-long-path-segment-" * 12 + "?cursor=" + "x" * 120


def draft_with_long_content(team: Any) -> Plan:
    return submit_plan(
        team,
        [
            step(LONG_KEY, executor="http", params={"url": LONG_URL, "method": "POST"}),
            step(
                "summarise",
                LONG_KEY,
                executor="python",
                params={"function": "word_count", "text": "lorem ipsum " * 300},
                title="Summarise every invoice " + "in detail " * 10,
                timeout_seconds=30,
                max_attempts=2,
            ),
            step("publish", "summarise", task="Publish_the_summary_" * 8),
        ],
        title="Quarterly invoices: " + "a very long title " * 6,
        user_id="user-" + "9" * 60,
        topic_id="topic-" + "z" * 60,
        tags=["finance", "quarterly"],
    )


def failed_plan(team: Any) -> Plan:
    plan = approve(submit_plan(team, [step("fetch"), step("report", "fetch")], title="Failed run"))
    services.plan_start(plan=plan, actor=WORKER)
    assert finish(
        claim(plan, "fetch"),
        StepOutcome.failure("the API answered 400: no such account", FailureClass.BAD_INPUT),
    )
    return plan


def completed_plan(team: Any, worker: Worker) -> Plan:
    plan = approve(submit_plan(team, [step("a"), step("b", "a"), step("c", "a")], title="Done"))
    run_until_idle(worker)
    return plan


def fits(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"review-{name}.png"), full_page=True)


def test_it_fits_the_list_and_plan_pages_in_a_phone_width(
    server: str, team: Any, reviewer: Any, worker: Worker, settings: Any
) -> None:
    settings.PLANGATE_HTTP_ALLOWED_URLS = [LONG_URL]
    draft = draft_with_long_content(team)
    done = completed_plan(team, worker)
    failed = failed_plan(team)
    # Last: the worker runs no more of its items once they exist.
    items = [{"invoice": f"INV-{i:05d}", "note": "n" * 90} for i in range(10)]
    executing = fanned_out(team, worker, items, max_concurrency=3)
    pages = {"draft": draft, "executing": executing, "completed": done, "failed": failed}

    with chromium() as browser:
        for width, height in [(390, 844), (1280, 900)]:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(20_000)
            log_in(page, f"{server}/accounts/login/?next=/", "alice")
            expect(page.get_by_role("link", name=re.compile("Quarterly invoices"))).to_be_visible()
            shoot(page, f"list-{width}")
            if width == 390:
                assert fits(page) <= 390
            for name, plan in pages.items():
                page.goto(f"{server}/plans/{plan.pk}/")
                expect(page.locator("#plan-graph svg")).to_be_visible()
                shoot(page, f"{name}-{width}")
                if width == 390:
                    assert fits(page) <= 390, name
            if width == 390:
                # The draft's actions are on screen: approve, cancel, and each card's skip.
                page.goto(f"{server}/plans/{draft.pk}/")
                approve_button = page.get_by_role("button", name=re.compile("^approve", re.I))
                expect(approve_button).to_be_in_viewport()
                skip = page.locator("#step-publish summary", has_text="Skip")
                skip.scroll_into_view_if_needed()
                expect(skip).to_be_in_viewport()
                box = skip.bounding_box()
                assert box is not None and box["x"] + box["width"] <= 390
            page.close()
