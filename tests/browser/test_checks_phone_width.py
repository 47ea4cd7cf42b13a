"""In real headless Chromium: a plan that uses every check at once (a policy rule that gated a
step, guardrails, a quality gate, recovery recipes, expected costs and a budget) shows all of it
before approval, and its page fits a desktop and a phone screen."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import step, submit_plan
from tests.plans.policy.support import put_policy, rule
from tests.processes import serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PLANGATE_SHOTS", "")


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "checks-server.log") as live:
        yield f"http://{live.address}"


def test_every_check_is_shown_before_approval_and_fits_a_phone(
    server: str, team: Any, reviewer: Any
) -> None:
    put_policy(
        team,
        [
            rule(
                "gate-publishing",
                "require_gate",
                {"params": {"$.channel": {"equals": "public"}}},
                reason="Anything public is read first.",
            )
        ],
    )
    plan = submit_plan(
        team,
        [
            step(
                "draft",
                task="Draft the announcement",
                params={"topic": "release " + "notes " * 30},
                guardrails={
                    "input": [{"max_bytes": 4000}],
                    "output": [{"deny": "(?i)password", "name": "no-secrets"}],
                },
                quality={"path": "score", "min": 0.8},
                recover={"rate_limited": {"recipe": "fallback", "executor": "echo", "params": {}}},
                estimated_cost="0.40",
            ),
            step(
                "publish",
                "draft",
                task="Publish it",
                params={"channel": "public"},
                estimated_cost="0.10",
            ),
        ],
        title="Release announcement",
        budget="2.00",
    )
    with chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/plans/{plan.pk}/")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()

        expect(page.locator("body")).to_contain_text("gate-publishing")
        expect(page.locator("#step-draft")).to_contain_text("no-secrets")
        expect(page.locator("#step-draft")).to_contain_text("score")
        expect(page.locator("#step-draft")).to_contain_text(
            "rate_limited".replace("_", " "), ignore_case=True
        )
        expect(page.locator("#plan-budget")).to_contain_text("0.50")
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/checks-{width}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"the plan page overflows at {width} px"
