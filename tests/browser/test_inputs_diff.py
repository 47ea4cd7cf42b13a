"""In real headless Chromium: the diff between two versions shows the plan inputs that changed,
at desktop and phone width."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from plans.revisions.services import RevisionDraft, plan_revise, step_drafts
from plans.services import Actor
from tests.browser.test_review_flow import ARTIFACTS, chromium, server
from tests.browser.test_revisions_flow import log_in
from tests.factories import step, submit_plan
from tests.plans.catalog.support import ACTIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]
SHOTS = Path(os.environ.get("PLANGATE_SHOTS", ARTIFACTS / "inputs-diff"))


def shoot(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px; at 390 the page must not scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{name} is {overflow} px wide at {width} px"


def test_the_diff_shows_changed_plan_inputs(
    server: str, team: Any, reviewer: Any, settings: Any
) -> None:
    settings.PLANGATE_ACTIONS = ACTIONS
    find = step("find", executor="", action="search", inputs={"city": {"$input": "city"}})
    write = step(
        "write",
        executor="",
        action="summarise",
        inputs={"text": {"$from": "find.result.task"}, "style": {"$input": "style"}},
    )
    plan = submit_plan(team, [find, write], inputs={"city": "Oslo", "style": "long"})
    plan_revise(
        plan=plan,
        actor=Actor(label="token:agent"),
        draft=RevisionDraft(
            base_version=1,
            steps=step_drafts(plan.revisions.get(version=1).content),
            inputs={"city": "Bergen an der Küste von Vestland, " * 4, "style": "long"},
            comment="another city",
        ),
    )

    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        log_in(page, server, f"/plans/{plan.pk}/diff?from=1&to=2")
        diff = page.locator(".diff")
        expect(diff).to_contain_text("plan inputs")
        expect(diff.locator("del.diff-old").first).to_contain_text('"Oslo"')
        expect(diff.locator("ins.diff-new").first).to_contain_text('"Bergen an der Küste')
        shoot(page, "diff-inputs")
