"""In real headless Chromium: a reviewer requests changes, the agent answers with a new revision
through the API while the page is open, the page shows what changed, and the reviewer approves
the new version."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from plans import services
from tests.browser.test_review_flow import chromium, server  # noqa: F401
from tests.browser.test_revisions_flow import log_in, shoot
from tests.factories import step, submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_revision_answering_a_request_for_changes_shows_live_and_is_approved(
    server: str,  # noqa: F811
    team: Any,
    reviewer: Any,
) -> None:
    plan = submit_plan(
        team, [step("fetch", params={"region": "US"}), step("report", "fetch")], title="Figures"
    )
    _, token = services.token_create(team=team, name="agent")
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(20_000)
        log_in(page, server, f"/plans/{plan.pk}/")
        expect(page.locator("#live-indicator")).to_have_text("live")
        page.evaluate("window.__stillTheSamePage = true")

        page.locator("#request-changes summary").click()
        page.locator("#request-changes-comment").fill("Use the EU figures.")
        page.get_by_role("button", name=re.compile("^request changes to version 1", re.I)).click()
        header = page.locator("#plan-header")
        expect(header).to_contain_text("Changes requested by alice (reviewer) on version 1")

        # The agent reads the request and answers with version 2, while the page stays open.
        answer = httpx.post(
            f"{server}/api/v1/plans/{plan.pk}/revisions",
            json={
                "base_version": 1,
                "comment": "EU figures, as asked",
                "steps": [
                    {"key": "fetch", "task": "do fetch", "params": {"region": "EU"}},
                    {"key": "report", "task": "do report", "depends_on": ["fetch"]},
                ],
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.text

        expect(header).to_contain_text("Changed since you opened it: version 1 → 2")
        diff = header.locator(".diff")
        expect(diff).to_contain_text("params.region")
        expect(diff.locator("del.diff-old").first).to_contain_text('"US"')
        expect(diff.locator("ins.diff-new").first).to_contain_text('"EU"')
        assert page.evaluate("window.__stillTheSamePage") is True
        shoot(page, "changes-answered")

        page.get_by_role("link", name="Review version 2").click()
        page.get_by_role("button", name="Approve version 2").click()
        expect(header).to_contain_text(re.compile("approved|executing", re.I))

    plan.refresh_from_db()
    assert (plan.status, plan.approved_version) == ("approved", 2)
    assert plan.steps.get(key="fetch").params == {"region": "EU"}
