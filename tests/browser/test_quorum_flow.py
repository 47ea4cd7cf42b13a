"""In real headless Chromium: a plan needing two approvals. The first reviewer's approval leaves
it waiting ("1 of 2 approvals"), the second's starts it, and a worker in another process runs
it. A gate with a count shows its own progress, at desktop and phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from plans.gates.services import step_approve
from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import step, submit_plan
from tests.plans.approvals.support import by, group, person
from tests.plans.gates.support import started
from tests.processes import running, serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 390)


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "browser-server.log") as live:
        yield f"http://{live.address}"


def log_in(browser: Browser, server: str, username: str, path: str, width: int = 1280) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(f"{server}{path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(re.escape(path)))
    return page


def no_sideways_overflow(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_two_reviewers_approve_a_two_of_two_plan_and_it_runs(
    server: str, team: Any, reviewer: Any
) -> None:
    person(team, "bob")
    plan = submit_plan(
        team,
        [step("gather", task="Gather the sources"), step("publish", "gather")],
        title="Quarterly payout",
        required_approvals=2,
    )
    path = f"/plans/{plan.pk}/"
    worker = ["manage.py", "runworker", "--concurrency", "2"]
    with running(worker, log=ARTIFACTS / "browser-worker.log"), chromium() as browser:
        alice = log_in(browser, server, "alice", path)
        header = alice.locator("#plan-header")
        expect(header).to_contain_text("0 of 2 approvals; needs 2 more from reviewers")
        alice.get_by_role("button", name="Approve version 1").click()
        expect(header).to_contain_text(
            "1 of 2 approvals, by alice (reviewer); needs 1 more from reviewers"
        )
        expect(alice.get_by_role("button", name="You approved version 1")).to_be_disabled()
        expect(header).to_contain_text(re.compile("draft", re.I))
        for width in WIDTHS:
            alice.set_viewport_size({"width": width, "height": 900})
            assert no_sideways_overflow(alice), width
            alice.screenshot(path=str(ARTIFACTS / f"quorum-1-of-2-{width}.png"), full_page=True)

        # Another browser context: bob's own session.
        bob = log_in(browser, server, "bob", path)
        bob_header = bob.locator("#plan-header")
        expect(bob_header).to_contain_text("1 of 2 approvals, by alice (reviewer)")
        bob.get_by_role("button", name="Approve version 1").click()
        expect(bob_header).to_contain_text(re.compile("executing|completed", re.I))
        expect(bob_header).to_contain_text("2 of 2 approvals, by alice (reviewer), bob (reviewer)")

    plan.refresh_from_db()
    assert plan.status in {"executing", "completed"}
    assert plan.approved_by is not None and plan.approved_by.username == "bob"


def test_a_gate_with_a_count_shows_its_progress_at_both_widths(
    server: str, team: Any, reviewer: Any
) -> None:
    bob = person(team, "bob")
    group(team, "ops", reviewer, bob)
    plan = started(
        team,
        [
            step("deploy", approval={"group": "ops", "count": 2}, params={"target": "prod"}),
            step("report", "deploy"),
        ],
    )
    step_approve(plan=plan, key="deploy", actor=by(bob), version=plan.version)
    path = f"/plans/{plan.pk}/"
    with chromium() as browser:
        for width in WIDTHS:
            page = log_in(browser, server, "alice", path, width=width)
            box = page.locator("#gate-step-deploy")
            expect(box).to_contain_text(
                "1 of 2 approvals, by bob (reviewer); needs 1 more from ops"
            )
            expect(box.get_by_role("button", name="Approve", exact=True)).to_be_enabled()
            assert no_sideways_overflow(page), width
            box.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"quorum-gate-{width}.png"), full_page=True)
            page.close()
