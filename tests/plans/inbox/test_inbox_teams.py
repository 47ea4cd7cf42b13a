"""A reviewer's inbox holds their teams' items only; a token's, its team's."""

from __future__ import annotations

from typing import Any

from plans.inbox import selectors
from tests.plans.inbox.helpers import draft, gate


def test_it_shows_each_reviewer_only_their_teams_items(
    reviewer: Any, team: Any, other_team: Any
) -> None:
    draft(team, "Ours")
    draft(other_team, "Theirs")
    gate(other_team, "Their gate")
    mallory = other_team.members.get()

    assert [i.plan_title for i in selectors.inbox_for_user(reviewer)] == ["Ours"]
    assert selectors.inbox_count_for_user(reviewer) == 1
    assert sorted(i.plan_title for i in selectors.inbox_for_team(other_team)) == [
        "Their gate",
        "Theirs",
    ]
    assert selectors.inbox_count_for_user(mallory) == 2
