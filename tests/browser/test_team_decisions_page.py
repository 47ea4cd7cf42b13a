"""The team admins' decisions page in real headless Chromium, at a desktop's and a phone's
width: nothing scrolls sideways, and each week's figures are on screen with their labels."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from plans.models import Role
from tests.browser.test_csp import log_in
from tests.browser.test_review_flow import ARTIFACTS, chromium, server
from tests.plans.audit.helpers import member
from tests.plans.audit.test_weekly_figures import known_waits
from tests.plans.inbox.helpers import ago, draft, gate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]


def test_it_fits_the_decisions_page_in_a_desktop_and_a_phone_width(server: str, team: Any) -> None:
    known_waits(team)
    draft(team, "Quarterly invoices: " + "a very long title " * 6, created=ago(hours=30))
    gate(team, "Deploy the billing service to production", since=ago(hours=5))
    draft(team, "Rotate_the_signing_keys_" * 4, created=ago(minutes=12))
    member(team, "bob", Role.ADMIN)
    url = f"{server}/teams/{team.pk}/decisions/?since=2026-02-02&until=2026-03-15"

    with chromium() as browser:
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_default_timeout(20_000)
            log_in(page, url, "bob")
            expect(page.get_by_role("heading", name="Decisions")).to_be_visible()
            week = page.locator('tr[data-week="2026-W10"]')
            expect(week.locator("[data-median]")).to_contain_text("2 h 30 min")
            expect(week.locator("[data-p90]")).to_be_visible()
            expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / f"decisions-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.close()
