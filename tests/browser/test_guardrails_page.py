"""In real headless Chromium: a reviewer sees a step's guardrails, the executor's from settings
among them, and its quality gate before approving; after a run, the findings beside the step,
and a block that asked holds the plan. Nothing overflows sideways at 1280 or 390 px."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_rescue_flow import shoot
from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import approve, step, submit_plan
from tests.orchestration import guarded
from tests.orchestration.support import run_until_idle
from tests.processes import serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXECUTOR_GUARDRAILS = {"python": {"output": [{"max_bytes": 100000, "name": "size limit"}]}}


@pytest.fixture
def server() -> Iterator[str]:
    with serving(
        log=ARTIFACTS / "guardrails-server.log",
        PLANGATE_GUARDRAILS=json.dumps(EXECUTOR_GUARDRAILS),
        PLANGATE_GUARDRAIL_CHECKS=json.dumps(guarded.CHECKS),
    ) as live:
        yield f"http://{live.address}"


def log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()


def test_the_page_shows_guardrails_and_findings(
    server: str, team: Any, reviewer: Any, worker: Any, allow_functions: Any, settings: Any
) -> None:
    settings.PLANGATE_GUARDRAILS = EXECUTOR_GUARDRAILS
    settings.PLANGATE_GUARDRAIL_CHECKS = guarded.CHECKS
    allow_functions(record=f"{guarded.__name__}.record")
    schema = {
        "type": "object",
        "required": ["text", "score"],
        "properties": {"text": {"type": "string", "maxLength": 2000}, "score": {"type": "number"}},
    }
    guardrails = {
        "input": [{"deny": "(?i)drop\\s+table", "name": "no SQL in the ticket"}],
        "output": [
            {"schema": schema, "name": "reply shape"},
            {"check": "no_secrets", "mode": "warn"},
            {"deny": "\\b\\d{3}-\\d{4}\\b", "name": "no phone numbers"},
        ],
        "on_block": "ask",
    }
    draft = submit_plan(
        team,
        [
            step(
                "draft",
                task="Write the reply to the customer",
                executor="python",
                params={"function": "record", "ticket": 4711},
                guardrails=guardrails,
                quality={"path": "score", "min": 0.8},
            ),
            step("send", "draft", task="Send the reply"),
        ],
        title="Customer reply",
    )
    ran = approve(
        submit_plan(
            team,
            [
                step(
                    "draft",
                    task="Write the reply to the customer",
                    executor="python",
                    params={
                        "function": "record",
                        "returns": {"text": "Your password is reset; call 555-0100", "score": 0.9},
                    },
                    guardrails=guardrails,
                    quality={"path": "score", "min": 0.8},
                ),
                step("send", "draft", task="Send the reply"),
            ],
            title="Customer reply (run)",
        )
    )
    run_until_idle(worker)

    with chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        log_in(page, f"{server}/plans/{draft.pk}/")
        row = page.locator("#step-draft")
        expect(row).to_contain_text("Guardrails")
        expect(row).to_contain_text("size limit")
        expect(row).to_contain_text("every python step")
        expect(row).to_contain_text("no SQL in the ticket")
        expect(row).to_contain_text("warns only")
        expect(row).to_contain_text("the number at score must be at least 0.8")
        shoot(page, "guardrails-before-approval")

        page.goto(f"{server}/plans/{ran.pk}/")
        row = page.locator("#step-draft")
        expect(page.locator("#plan-header")).to_contain_text(re.compile("needs attention", re.I))
        expect(row.locator(".finding-warn")).to_contain_text("mentions a password")
        expect(row.locator(".finding-block")).to_contain_text("matched '555-0100'")
        shoot(page, "guardrails-findings")
