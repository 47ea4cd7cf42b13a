"""In real headless Chromium, under the Content-Security-Policy the server sends: the pages and the
admin load without a single refused script or style, and htmx still approves a plan in place."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from plans.models import ApproverGroup
from tests.browser.test_review_flow import chromium, server
from tests.factories import UserFactory, step, submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["server"]  # the fixture, shared with the review flow's test


def log_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()


def test_it_runs_the_pages_and_the_admin_without_a_csp_violation(
    server: str, team: Any, reviewer: Any
) -> None:
    plan = submit_plan(team, [step("gather"), step("publish", "gather")], title="Weekly digest")
    ApproverGroup.objects.create(team=team, name="finance")
    UserFactory(username="root", is_staff=True, is_superuser=True)
    console: list[str] = []

    def record(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text} {message.location}")

    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        page.on("console", record)
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

        log_in(page, f"{server}/accounts/login/?next=/", "alice")
        expect(page.get_by_role("link", name="Weekly digest")).to_be_visible()
        page.get_by_role("link", name="Weekly digest").click()
        expect(page).to_have_url(re.compile(rf"/plans/{plan.pk}/"))
        header = page.locator("#plan-header")
        expect(header).to_contain_text(re.compile("draft", re.I))
        # The page's WebSocket is allowed by connect-src 'self'.
        expect(page.locator("#live-indicator")).to_have_text("live")

        # htmx posts the approval and swaps the answer in; a full reload would drop this marker.
        page.evaluate("window.__stillTheSamePage = true")
        page.get_by_role("button", name=re.compile("^approve", re.I)).click()
        expect(header).to_contain_text(re.compile("approved", re.I))
        assert page.evaluate("window.__stillTheSamePage") is True

        admin = browser.new_page()
        admin.set_default_timeout(20_000)
        admin.on("console", record)
        admin.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        log_in(admin, f"{server}/admin/login/?next=/admin/", "root")
        expect(admin.locator("#site-name")).to_be_visible()
        admin.goto(f"{server}/admin/plans/team/{team.pk}/change/")
        # The approver group's filter_horizontal: its script ran.
        expect(admin.locator("#id_approver_groups-0-members_from")).to_be_visible()
        admin.goto(f"{server}/admin/plans/apitoken/add/")
        admin.get_by_label("Team:", exact=True).select_option(label="acme")
        admin.get_by_label("Name").fill("agent")
        admin.get_by_role("button", name="Save", exact=True).click()
        expect(admin.locator("#new-token")).to_have_value(re.compile(r"^pgt_\w+_[\w-]+$"))

    refused = [line for line in console if "Content Security Policy" in line or "Refused" in line]
    assert refused == [], "\n".join(refused)
    # Any other script error (the admin's missing /favicon.ico is no script's).
    errors = [line for line in console if line.startswith(("error", "pageerror"))]
    assert [line for line in errors if "/favicon.ico" not in line] == []
