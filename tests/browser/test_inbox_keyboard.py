"""In real headless Chromium, the inbox's keys: o opens the item's plan, a approves one item, s
opens a gate's skip box, r goes to the plan's request-changes form, x asks and then cancels; and
a reviewer approves three plans in one batch with the keyboard while a fourth, also selected,
changed through the API after the inbox was opened: three are approved, the fourth is refused and
named."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from plans import services
from plans.models import Plan
from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import submit_plan
from tests.plans.gates.support import started
from tests.processes import serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "browser-inbox-server.log") as live:
        yield f"http://{live.address}"


def log_in(page: Page, server: str) -> None:
    page.set_default_timeout(20_000)
    page.goto(f"{server}/inbox")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/inbox$"))


def keys_ready(page: Page) -> None:
    """Wait until the inbox's keys work: the script that handles them shows the Keys button."""
    expect(page.get_by_role("button", name="Keys")).to_be_visible()


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
        log_in(page, server)
        keys_ready(page)
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


def test_key_o__opens_the_current_items_plan(server: str, team: Any, reviewer: Any) -> None:
    submit_plan(team, title="Alpha")
    bravo = submit_plan(team, title="Bravo")

    with chromium() as browser:
        page = browser.new_page()
        log_in(page, server)
        keys_ready(page)
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("o")
        expect(page).to_have_url(f"{server}/plans/{bravo.pk}/")
        expect(page.locator("#plan-header")).to_contain_text("Bravo")


def test_key_a__approves_the_current_item_only(server: str, team: Any, reviewer: Any) -> None:
    submit_plan(team, title="Alpha")
    submit_plan(team, title="Bravo")
    gated = started(team)

    with chromium() as browser:
        page = browser.new_page()
        log_in(page, server)
        keys_ready(page)
        items = page.locator("[data-inbox-item]")
        expect(items).to_have_count(3)
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("a")
        expect(page.locator("#messages")).to_contain_text("Approved 1 plan: Bravo.")
        expect(items).to_have_count(2)
        # A gate is approved on its plan's page, next to its inputs: a opens it there.
        keys_ready(page)
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("a")
        expect(page).to_have_url(re.compile(rf"/plans/{gated.pk}/\S*#step-deploy$"))
        expect(page.locator("#step-deploy")).to_contain_text("Awaiting approval")

    statuses = dict(
        Plan.objects.filter(title__in=["Alpha", "Bravo"]).values_list("title", "status")
    )
    assert statuses == {"Alpha": "draft", "Bravo": "approved"}
    assert gated.steps.get(key="deploy").status == "awaiting_approval"


def test_key_s__asks_for_a_reason_then_skips_the_gate(
    server: str, team: Any, reviewer: Any
) -> None:
    submit_plan(team, title="Alpha")
    gated = started(team)

    with chromium() as browser:
        page = browser.new_page()
        log_in(page, server)
        keys_ready(page)
        items = page.locator("[data-inbox-item]")
        page.keyboard.press("j")
        # A draft has no gate to skip.
        page.keyboard.press("s")
        expect(items.nth(0).locator("textarea:focus")).to_have_count(0)
        page.keyboard.press("j")
        page.keyboard.press("s")
        reason = items.nth(1).locator("[data-inbox-skip] textarea")
        expect(reason).to_be_visible()
        expect(reason).to_be_focused()
        page.keyboard.type("done by hand")
        items.nth(1).get_by_role("button", name="Skip step").click()
        expect(page.locator("#messages")).to_contain_text("Skipped step deploy of")
        expect(items).to_have_count(1)

    step = gated.steps.get(key="deploy")
    assert (step.status, step.skip_reason) == ("skipped", "done by hand")


def test_key_r__opens_the_request_changes_form_on_the_plans_page(
    server: str, team: Any, reviewer: Any
) -> None:
    plan = submit_plan(team, title="Alpha")

    with chromium() as browser:
        page = browser.new_page()
        log_in(page, server)
        keys_ready(page)
        page.keyboard.press("j")
        page.keyboard.press("r")
        expect(page).to_have_url(f"{server}/plans/{plan.pk}/#request-changes")
        comment = page.get_by_label("What should change (markdown)")
        expect(comment).to_be_visible()
        expect(comment).to_be_focused()
        page.screenshot(path=str(ARTIFACTS / "browser-inbox-request-changes.png"))
        comment.fill("Use the EU figures.")
        page.get_by_role("button", name="Request changes to version 1").click()
        expect(page.locator("#plan-header")).to_contain_text("Changes requested")

    plan.refresh_from_db()
    assert plan.status == "changes_requested"


def answered(page: Page, asked: list[str], count: int) -> None:
    """Wait until the page's dialog handlers have heard `count` questions."""
    deadline = time.monotonic() + 5
    while len(asked) < count:
        assert time.monotonic() < deadline, f"asked only {asked}"
        page.wait_for_timeout(20)


def test_key_x__asks_first_then_cancels(server: str, team: Any, reviewer: Any) -> None:
    submit_plan(team, title="Alpha")
    submit_plan(team, title="Bravo")
    asked: list[str] = []

    def answer(accept: bool) -> Callable[[Dialog], None]:
        def handle(dialog: Dialog) -> None:
            asked.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    with chromium() as browser:
        page = browser.new_page()
        log_in(page, server)
        keys_ready(page)
        page.keyboard.press("j")
        page.once("dialog", answer(accept=False))
        page.keyboard.press("x")
        # The question reaches this handler after the key press returns: until it has been
        # answered, a second handler would hear it too.
        answered(page, asked, 1)
        # Declined: Alpha stays. Bravo, next, is cancelled once confirmed.
        page.keyboard.press("j")
        page.once("dialog", answer(accept=True))
        page.keyboard.press("x")
        expect(page.locator("#messages")).to_contain_text("Cancelled Bravo.")
        expect(page.locator("[data-inbox-item]")).to_have_count(1)

    assert asked == ["Cancel Alpha?", "Cancel Bravo?"]
    statuses = dict(Plan.objects.values_list("title", "status"))
    assert statuses == {"Alpha": "draft", "Bravo": "cancelled"}
