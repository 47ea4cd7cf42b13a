"""From an email's link in headless Chromium: log in, land on the confirmation page (which fits
a phone's width), confirm, and the plan is approved as an email decision."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from plans.models import Plan
from tests.browser.test_csp import log_in
from tests.browser.test_phone_width import LONG_URL, draft_with_long_content
from tests.browser.test_review_flow import ARTIFACTS, chromium, server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]

SHOTS = Path(os.environ.get("PLANGATE_SHOTS", str(ARTIFACTS)))


@pytest.mark.parametrize("width", [1280, 390])
def test_it_approves_from_the_email_link_after_logging_in(
    server: str, team: Any, reviewer: Any, width: int, settings: Any
) -> None:
    settings.PLANGATE_HTTP_ALLOWED_URLS = [LONG_URL]
    plan = draft_with_long_content(team)
    link = f"{server}/plans/{plan.pk}/confirm/approve/?version=1"

    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900})
        log_in(page, link, "alice")
        expect(page).to_have_url(link)
        button = page.get_by_role("button", name="Approve version 1")
        expect(button).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"confirm-approve-{width}.png"), full_page=True)
        button.click()
        expect(page).to_have_url(f"{server}/plans/{plan.pk}/")
        expect(page.locator(".message-success")).to_contain_text("Approved version 1")

    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.status, plan.approved_via) == ("approved", "email")


def test_it_cancels_from_the_email_link_at_a_phone_width(
    server: str, team: Any, reviewer: Any, settings: Any
) -> None:
    settings.PLANGATE_HTTP_ALLOWED_URLS = [LONG_URL]
    plan = draft_with_long_content(team)
    link = f"{server}/plans/{plan.pk}/confirm/cancel/?version=1"

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 900})
        log_in(page, link, "alice")
        expect(page).to_have_url(link)
        page.get_by_label("Reason (optional)").fill("the quarter is not over")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "confirm-cancel-390.png"))
        page.get_by_role("button", name="Cancel plan").click()
        expect(page.locator(".message-success")).to_contain_text("Cancelled the plan")

    plan = Plan.objects.get(pk=plan.pk)
    assert (plan.status, plan.cancel_reason) == ("cancelled", "the quarter is not over")
