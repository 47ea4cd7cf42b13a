"""The "Approved; a worker will run it" notice goes once the plan has moved on: the live update
that shows the plan started takes it away."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import selectors, services
from tests.factories import WORKER, submit_plan


def messages_fragment(body: str) -> str | None:
    found = re.search(r'<div id="messages"[^>]*>(.*?)</div>', body, re.S)
    return found.group(1) if found else None


def test_it_takes_the_approval_notice_away_once_the_plan_has_started(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    page = client.post(f"/plans/{plan.pk}/approve", {"version": 1}, follow=True)
    assert "a worker will run it" in page.content.decode()
    seen = selectors.latest_event_id(plan.pk)

    services.plan_start(plan=plan, actor=WORKER)
    body = client.get(f"/plans/{plan.pk}/live?after={seen}").content.decode()

    assert messages_fragment(body) is not None, "the notices are redrawn"
    assert "a worker will run it" not in body
    assert '<p class="message' not in messages_fragment(body)


def test_it_keeps_a_notice_while_only_steps_move(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    client.post(f"/plans/{plan.pk}/approve", {"version": 1}, follow=True)
    seen = selectors.latest_event_id(plan.pk)
    services.step_skip(plan=plan, key="a", actor=WORKER, reason="done by hand")

    body = client.get(f"/plans/{plan.pk}/live?after={seen}").content.decode()

    # Nothing says the plan moved on: the page keeps what it shows.
    assert messages_fragment(body) is None
