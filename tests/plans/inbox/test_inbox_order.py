"""The inbox is oldest first, by when each item started waiting, and says how long."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from plans.inbox import selectors
from tests.plans.inbox.helpers import ago, draft, gate, needing_attention, revise


def test_it_puts_what_has_waited_longest_first(reviewer: Any, team: Any) -> None:
    # Created long ago but revised a minute ago: it waits since its revision.
    revise(draft(team, "Revised just now", created=ago(hours=10)), at=ago(minutes=1))
    draft(team, "Two hours old", created=ago(hours=2))
    gate(team, "Gate held for 3 h", since=ago(hours=3))
    needing_attention(team, "Stuck for 30 min", since=ago(minutes=30))

    items = selectors.inbox_for_user(reviewer)

    assert [i.plan_title for i in items] == [
        "Gate held for 3 h",
        "Two hours old",
        "Stuck for 30 min",
        "Revised just now",
    ]
    assert selectors.waited_label(items[0].waited()) == "3 h"
    assert selectors.waited_label(items[2].waited()) == "30 min"


def test_it_dates_a_gate_without_its_event_from_its_last_dependency(
    reviewer: Any, team: Any
) -> None:
    gate(team, "Gate", started=ago(hours=5))

    (item,) = selectors.inbox_for_user(reviewer)

    assert item.kind == "gate"
    assert abs(item.waited() - timedelta(hours=5)) < timedelta(minutes=1)
