"""An event cursor beyond any event id is refused as bad input, not a server error."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiClient
from tests.factories import step, submit_plan


def test_it_refuses_an_after_cursor_larger_than_any_id(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a")])
    response = api.get(f"/plans/{plan.pk}/events", after=10**30)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "after"]
    assert len(api.get(f"/plans/{plan.pk}/events", after=0).json()) == 1
