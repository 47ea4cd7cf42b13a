"""In real headless Chromium: a step's recovery recipes and a recovery that applied read well at
desktop and phone width, without sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from executors.protocol import FailureClass, StepOutcome
from plans import services
from tests.browser.test_rescue_flow import shoot
from tests.browser.test_review_flow import ARTIFACTS, chromium
from tests.factories import approve, claim, finish, step, submit_plan
from tests.processes import serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECOVER = {
    "rate_limited": {
        "recipe": "fallback",
        "executor": "python",
        "params": {
            "function": "word_count",
            "prompt": "Summarise the quarter's figures for the board in plain words, " * 4,
        },
    },
    "context_overflow": {
        "recipe": "adjust",
        "patch": {"max_tokens": 1000, "system_prompt_with_a_long_name_for_the_model": None},
    },
    "*": {"recipe": "ask"},
}


@pytest.fixture
def server() -> Iterator[str]:
    with serving(log=ARTIFACTS / "recovery-server.log") as live:
        yield f"http://{live.address}"


def log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()


def test_recipes_and_a_recovery_fit_desktop_and_phone(server: str, team: Any) -> None:
    draft = submit_plan(
        team,
        [step("answer", params={"max_tokens": 8000}, recover=RECOVER), step("publish", "answer")],
        title="Board summary",
    )
    running = approve(
        submit_plan(team, [step("answer", params={"max_tokens": 8000}, recover=RECOVER)])
    )
    services.plan_start(plan=running, actor=services.SYSTEM)
    finish(
        claim(running, "answer"),
        StepOutcome.failure("429 from the first provider", FailureClass.RATE_LIMITED),
    )
    with chromium() as browser:
        page = browser.new_context().new_page()
        page.set_default_timeout(20_000)
        log_in(page, f"{server}/plans/{draft.pk}/")
        expect(page.locator("#step-answer .recipes")).to_contain_text("run once with executor")
        shoot(page, "recovery-draft")

        page.goto(f"{server}/plans/{running.pk}/")
        expect(page.locator("#step-answer")).to_contain_text("Since a recovery, runs python")
        expect(page.locator("#plan-events")).to_contain_text(
            "Rate limited: the step's recipe falls back from echo to python"
        )
        shoot(page, "recovery-running")
