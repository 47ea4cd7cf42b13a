"""In real headless Chromium at 390 and 1280 px: the plan page's Policy panel and the team
settings' Policy section fit without scrolling sideways, with long rule names, paths and
documents; a document with problems shows each against its path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from plans.models import Membership, Role
from tests.browser.test_csp import log_in
from tests.browser.test_review_flow import ARTIFACTS, chromium, server
from tests.factories import UserFactory, step, submit_plan
from tests.plans.policy.support import put_policy, rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]

LONG_TARGET = "production-cluster-eu-west-1/" + "very-long-path-segment/" * 8


def fits(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_the_policy_panel_and_section_fit_and_show_problems(server: str, team: Any) -> None:
    Membership.objects.create(team=team, user=UserFactory(username="ada"), role=Role.ADMIN)
    put_policy(
        team,
        [
            rule(
                "gate-steps-that-touch-the-production-cluster-in-any-region-whatsoever",
                "require_gate",
                {"params": {"$.target": {"matches": "^" + LONG_TARGET}}},
                reason="A person who knows the cluster looks first. " * 3,
            ),
            rule("trial-forbid-big-plans", "forbid", {"steps": {"gte": 2}}, shadow=True),
        ],
    )
    plan = submit_plan(team, [step("plan"), step("deploy", "plan", params={"target": LONG_TARGET})])
    bad = json.dumps({"rules": [{"name": "x", "when": {"params": {"$.a": {"matches": "("}}}}]})

    with chromium() as browser:
        for width, height in [(390, 844), (1280, 900)]:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(20_000)
            log_in(page, f"{server}/accounts/login/?next=/plans/{plan.pk}/", "ada")
            panel = page.locator("#plan-policy")
            expect(panel).to_contain_text("Made the steps gates")
            expect(panel).to_contain_text("Would have forbidden")
            panel.screenshot(path=str(ARTIFACTS / f"policy-panel-{width}.png"))
            assert fits(page) <= width

            page.goto(f"{server}/teams/{team.pk}/settings/")
            page.locator("#policy details summary").click()
            assert fits(page) <= width
            page.locator("#policy-document").fill(bad)
            page.get_by_role("button", name="Save as a new version").click()
            section = page.locator("#policy")
            expect(section).to_contain_text("rules[0].action: must be one of")
            expect(section).to_contain_text("rules[0].when.params.$.a.matches: not a regular")
            section.screenshot(path=str(ARTIFACTS / f"policy-settings-{width}.png"))
            assert fits(page) <= width
            page.close()
