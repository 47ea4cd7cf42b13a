"""In real headless Chromium: the team settings page (with a new token's secret) and a viewer's
plan page, at a desktop's and a phone's width (390 px), where nothing scrolls sideways; an
admin creates a token with chosen scopes by ticking boxes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from plans.models import ApiToken, Membership, Role
from tests.browser.test_csp import log_in
from tests.browser.test_review_flow import ARTIFACTS, chromium, server
from tests.factories import UserFactory, submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]

SHOTS = Path(os.environ.get("PLANGATE_SHOTS", ARTIFACTS / "shots"))


def test_it_fits_the_settings_and_a_viewers_plan_page_on_a_phone(server: str, team: Any) -> None:
    admin = UserFactory(username="ada")
    Membership.objects.create(team=team, user=admin, role=Role.ADMIN)
    viewer = UserFactory(username="vic")
    Membership.objects.create(team=team, user=viewer, role=Role.VIEWER)
    plan = submit_plan(team, title="Weekly digest")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        for width in (1280, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_default_timeout(20_000)
            log_in(page, f"{server}/accounts/login/", "ada")
            page.get_by_role("link", name="Team settings").click()
            page.get_by_label("Name (what uses it)").fill("reporting-agent")
            page.get_by_label("plans:submit").uncheck()
            page.get_by_label("plans:decide").check()
            page.get_by_role("button", name="Create token").click()
            expect(page.locator("#new-token-secret")).to_contain_text("pgt_")
            page.screenshot(path=SHOTS / f"team-settings-{width}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width

            viewer_page = browser.new_page(viewport={"width": width, "height": 900})
            log_in(viewer_page, f"{server}/accounts/login/", "vic")
            viewer_page.goto(f"{server}/plans/{plan.pk}/")
            expect(viewer_page.get_by_role("button", name="Approve version 1")).to_have_count(0)
            viewer_page.screenshot(path=SHOTS / f"plan-viewer-{width}.png", full_page=True)
            assert viewer_page.evaluate("document.documentElement.scrollWidth") <= width
            viewer_page.goto(f"{server}/plans/{plan.pk}/edit")
            viewer_page.screenshot(path=SHOTS / f"forbidden-{width}.png", full_page=True)
            assert viewer_page.evaluate("document.documentElement.scrollWidth") <= width
            page.close()
            viewer_page.close()
    tokens = ApiToken.objects.filter(name="reporting-agent")
    assert [t.scopes for t in tokens] == [["plans:read", "plans:decide"]] * 2
