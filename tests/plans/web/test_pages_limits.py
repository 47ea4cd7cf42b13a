"""Before approving, the reviewer sees how a plan will run: how many steps at once, each step's
attempts and timeout, and what a fan-out step will go through."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.factories import list_step, step, submit_plan


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_it_shows_the_limits_and_the_fan_out_of_a_draft(
    client: Client, reviewer: Any, team: Any
) -> None:
    stages = [
        {"name": "fetch", "executor": "echo"},
        {"name": "count", "executor": "python", "params": {"function": "word_count"}},
    ]
    plan = submit_plan(
        team,
        [
            list_step("pages", ["a", "b"], max_attempts=5, timeout_seconds=2.5),
            step(
                "each", "pages", for_each={"over": "pages", "max_concurrency": 3, "stages": stages}
            ),
            step("tidy", timeout_seconds=60),
        ],
        max_concurrency=2,
    )
    client.force_login(reviewer)

    page = text(client.get(f"/plans/{plan.pk}/").content.decode())

    assert "Runs up to 2 steps at once" in page
    assert "Runs python , up to 2.5 s per attempt, at most 5 attempts." in page
    assert "Runs echo , up to 60 s per attempt (attempts: executor default) ." in page
    assert "Runs once for each item of pages , 3 at a time, through fetch, count." in page
