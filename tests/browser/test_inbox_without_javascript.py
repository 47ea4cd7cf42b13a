"""In real headless Chromium with JavaScript off: every action the inbox's keys press is a link or
form a reviewer uses by hand: open a plan, approve one, request changes on its page, skip a gate
with a reason, cancel a plan."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from plans.models import Plan
from tests.browser.test_inbox_keyboard import log_in
from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import submit_plan
from tests.plans.gates.support import started
from tests.processes import serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "browser-inbox-nojs-server.log") as live:
        yield f"http://{live.address}"


def test_it_offers_each_action_as_a_link_or_form_without_javascript(
    server: str, team: Any, reviewer: Any
) -> None:
    alpha = submit_plan(team, title="Alpha")
    submit_plan(team, title="Bravo")
    submit_plan(team, title="Charlie")
    gated = started(team)

    with chromium() as browser:
        page = browser.new_page(java_script_enabled=False)
        log_in(page, server)
        items = page.locator("[data-inbox-item]")
        expect(items).to_have_count(4)
        messages = page.locator("#messages")

        items.filter(has_text="Alpha").get_by_role("link", name="Alpha").click()
        expect(page).to_have_url(f"{server}/plans/{alpha.pk}/")
        expect(page.locator("#plan-header")).to_contain_text("Alpha")
        page.go_back()

        items.filter(has_text="Bravo").get_by_role("button", name="Approve version 1").click()
        expect(messages).to_contain_text("Approved 1 plan: Bravo.")
        expect(items).to_have_count(3)

        charlie = items.filter(has_text="Charlie")
        charlie.locator("summary", has_text="Cancel").click()
        charlie.get_by_label("Reason (optional)").fill("not needed")
        charlie.get_by_role("button", name="Cancel plan").click()
        expect(messages).to_contain_text("Cancelled Charlie.")
        expect(items).to_have_count(2)

        gate = items.filter(has_text="Step deploy")
        gate.locator("summary", has_text="Skip step").click()
        gate.get_by_label("Reason", exact=True).fill("done by hand")
        gate.get_by_role("button", name="Skip step").click()
        expect(messages).to_contain_text("Skipped step deploy of")
        expect(items).to_have_count(1)

        items.filter(has_text="Alpha").get_by_role("link", name="Request changes").click()
        expect(page).to_have_url(f"{server}/plans/{alpha.pk}/#request-changes")
        page.locator("#request-changes summary").click()
        page.get_by_label("What should change (markdown)").fill("Use the EU figures.")
        page.get_by_role("button", name="Request changes to version 1").click()
        expect(page.locator("#plan-header")).to_contain_text("Changes requested")
        page.goto(f"{server}/inbox")
        expect(page.locator(".empty-inbox")).to_be_visible()
        expect(page.locator(".waiting-for-agent")).to_contain_text("Alpha")

    statuses = dict(Plan.objects.exclude(pk=gated.pk).values_list("title", "status"))
    assert statuses == {"Alpha": "changes_requested", "Bravo": "approved", "Charlie": "cancelled"}
    assert Plan.objects.get(title="Charlie").cancel_reason == "not needed"
    deploy = gated.steps.get(key="deploy")
    assert (deploy.status, deploy.skip_reason) == ("skipped", "done by hand")
