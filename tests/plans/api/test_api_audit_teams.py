"""The audit export shows the token's team's decisions only."""

from __future__ import annotations

from typing import Any

from tests.plans.audit.helpers import decisions


def test_it_never_shows_another_teams_decisions(
    api: Any, other_api: Any, team: Any, other_team: Any
) -> None:
    decisions(team)

    assert other_api.get("/audit").json() == {"items": [], "next": None}
    streamed = b"".join(other_api.get("/audit", format="csv").streaming_content).decode()
    assert streamed.splitlines()[1:] == []
    assert len(api.get("/audit").json()["items"]) == 5
