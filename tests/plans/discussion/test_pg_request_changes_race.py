"""A request for changes racing an approval: exactly one of them wins, with one event."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.discussion.services import plan_request_changes
from plans.models import PlanComment, PlanEvent
from tests.factories import submit_plan
from tests.plans.test_races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_request_changes_against_approve_has_exactly_one_winner(team: Any) -> None:
    for _ in range(6):
        plan = submit_plan(team)
        approve = lambda p=plan: services.plan_approve(plan=p, actor=services.SYSTEM, version=1)  # noqa: E731
        send_back = lambda p=plan: plan_request_changes(  # noqa: E731
            plan=p, actor=services.SYSTEM, version=1, comment="Redo it"
        )

        results = race([approve, send_back, approve, send_back])

        assert results.count("ok") == 1, results
        plan.refresh_from_db()
        events = PlanEvent.objects.filter(
            plan=plan, kind__in=["plan.approved", "plan.changes_requested"]
        )
        assert [e.kind for e in events] == [
            "plan.approved" if plan.status == "approved" else "plan.changes_requested"
        ]
        # The loser wrote nothing: no comments from a refused request.
        expected = 1 if plan.status == "changes_requested" else 0
        assert PlanComment.objects.filter(plan=plan).count() == expected
