"""In real headless Chromium: a reviewer approves three plans from the inbox in one batch with
the keyboard while a fourth, also selected, changed through the API after the inbox was opened:
three are approved, the fourth is refused and named."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from plans import services
from plans.models import Plan
from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import submit_plan
from tests.processes import serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "browser-inbox-server.log") as live:
        yield f"http://{live.address}"


def add_artifact(server: str, token: str, plan_id: str) -> None:
    """Change the plan through the API, as its integration would: version 1 → 2."""
    request = urllib.request.Request(  # noqa: S310 - the test's own server
        f"{server}/api/v1/plans/{plan_id}/artifacts",
        data=json.dumps({"title": "Late finding"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 201


def test_it_batch_approves_with_the_keyboard_and_refuses_the_stale_plan(
    server: str, team: Any, reviewer: Any
) -> None:
    for name in ["Alpha", "Bravo", "Charlie", "Delta"]:
        submit_plan(team, title=name)
    delta = str(Plan.objects.get(title="Delta").pk)
    _, token = services.token_create(team=team, name="agent")

    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/inbox")
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name=re.compile("log in", re.I)).click()
        expect(page).to_have_url(re.compile(r"/inbox$"))
        expect(page.locator("#inbox-count")).to_contain_text("4")
        items = page.locator("[data-inbox-item]")
        expect(items).to_have_count(4)

        page.keyboard.press("?")
        expect(page.locator("#inbox-help")).to_be_visible()
        expect(page.locator("#inbox-help")).to_contain_text("approve the selected items")
        page.keyboard.press("Escape")
        expect(page.locator("#inbox-help")).to_be_hidden()

        # Select all four: j moves down, v selects; k back up and j again to show both work.
        for _ in range(4):
            page.keyboard.press("j")
            page.keyboard.press("v")
        page.keyboard.press("k")
        expect(items.nth(2)).to_have_class(re.compile("is-current"))
        page.keyboard.press("j")
        expect(items.nth(3)).to_have_class(re.compile("is-current"))
        expect(page.locator("[data-inbox-select]:checked")).to_have_count(4)

        # Keys typed into a field are text, not commands.
        page.locator("[data-inbox-item].is-current summary", has_text="Cancel").click()
        page.locator("[data-inbox-item].is-current textarea").type("jk")
        expect(items.nth(3)).to_have_class(re.compile("is-current"))
        page.locator("[data-inbox-item].is-current summary", has_text="Cancel").click()

        add_artifact(server, token, delta)
        # The open inbox hears of it, and says so, without rebinding what is selected.
        expect(page.locator("#inbox-notice")).to_be_visible()
        expect(page.locator("[data-inbox-select]:checked")).to_have_count(4)

        page.locator("body").press("Shift+A")
        messages = page.locator("#messages")
        expect(messages).to_contain_text("Approved 3 plans: Alpha, Bravo, Charlie.")
        expect(messages).to_contain_text(
            "Not approved: Delta changed since you opened the inbox (version 1 → 2)."
        )
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text("version 2")
        expect(page.locator("#inbox-count")).to_contain_text("1")
        page.screenshot(path=str(ARTIFACTS / "browser-inbox-batch.png"), full_page=True)

    statuses = dict(Plan.objects.values_list("title", "status"))
    assert statuses == {
        "Alpha": "approved",
        "Bravo": "approved",
        "Charlie": "approved",
        "Delta": "draft",
    }
