"""GET /plans/{id}/wait: answers at once when the plan is already there, at the timeout with
the current state otherwise, and never waits longer than PLANGATE_WAIT_MAX_SECONDS."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import ApiClient
from tests.factories import approve, submit_plan


def test_it_answers_at_the_timeout_with_the_current_state(team: Any, api: ApiClient) -> None:
    plan = submit_plan(team)
    started = time.monotonic()
    answer = api.get(f"/plans/{plan.pk}/wait", timeout=0.4)
    waited = time.monotonic() - started

    assert answer.status_code == 200
    body = answer.json()
    assert body["done"] is False
    assert (body["status"], body["version"], body["waited_for"]) == ("draft", 1, "decision")
    assert body["plan"]["id"] == str(plan.pk)
    assert 0.4 <= waited < 3


def test_it_answers_at_once_when_the_plan_is_already_decided(team: Any, api: ApiClient) -> None:
    plan = submit_plan(team)
    approve(plan)
    started = time.monotonic()
    decided = api.get(f"/plans/{plan.pk}/wait", timeout=20).json()
    assert time.monotonic() - started < 2
    assert (decided["done"], decided["status"]) == (True, "approved")

    # Approved is not ended: waiting for the end times out.
    ended = api.get(f"/plans/{plan.pk}/wait", **{"for": "end", "timeout": 0.2}).json()
    assert (ended["done"], ended["status"], ended["waited_for"]) == (False, "approved", "end")


def test_it_waits_no_longer_than_the_setting(team: Any, api: ApiClient, settings: Any) -> None:
    settings.PLANGATE_WAIT_MAX_SECONDS = 0.3
    plan = submit_plan(team)
    started = time.monotonic()
    body = api.get(f"/plans/{plan.pk}/wait", timeout=600).json()
    assert time.monotonic() - started < 3
    assert body["done"] is False


def test_it_refuses_an_unknown_for(team: Any, api: ApiClient) -> None:
    plan = submit_plan(team)
    answer = api.get(f"/plans/{plan.pk}/wait", **{"for": "lunch"})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "for"]
