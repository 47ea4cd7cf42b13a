"""Plans with changes requested: in a team's inbox, each with the request, for its integration;
in a reviewer's, apart and uncounted."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.inbox import selectors
from tests.plans.inbox.helpers import ago, changes_requested, draft


def test_a_teams_inbox_carries_each_request(reviewer: Any, team: Any) -> None:
    plan = changes_requested(
        draft(team, "Figures"), reviewer, "Use the EU figures.", at=ago(hours=1)
    )

    [item] = selectors.inbox_for_team(team)

    assert (item.kind, item.plan_id, item.version) == ("changes_requested", plan.pk, 1)
    assert item.change_request is not None
    assert (item.change_request.comment, item.change_request.by) == (
        "Use the EU figures.",
        "user:alice",
    )
    assert item.waiting_since == item.change_request.at
    assert selectors.inbox_for_user(reviewer) == []
    assert selectors.inbox_count_for_user(reviewer) == 0
    assert [i.plan_id for i in selectors.waiting_for_agent_for_user(reviewer)] == [plan.pk]


def test_it_reads_the_requests_in_as_many_queries_however_many_there_are(
    reviewer: Any, team: Any
) -> None:
    changes_requested(draft(team, "First"), reviewer)
    with CaptureQueriesContext(connection) as one:
        selectors.inbox_for_team(team)
    for n in range(4):
        changes_requested(draft(team, f"More {n}"), reviewer)

    with CaptureQueriesContext(connection) as five:
        assert len(selectors.inbox_for_team(team)) == 5

    assert len(five.captured_queries) == len(one.captured_queries)
