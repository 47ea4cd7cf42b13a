"""Two reviewers deciding one gate at the same moment: one decision wins, the other gets 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plans.models import PlanEvent
from tests.orchestration.support import steps_of
from tests.plans.gates.support import started
from tests.races import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(calls: list[Callable[[], Any]]) -> list[int]:
    """The requests sent at the same moment; their status codes."""
    return [answer.status_code for answer in at_once(calls)]


def test_two_approvals_of_one_gate_have_one_winner(team, api):
    for _ in range(5):
        plan = started(team)
        url = f"/plans/{plan.pk}/steps/deploy/approve"

        codes = race([lambda u=url: api.post(u, {"version": 1})] * 2)

        assert sorted(codes) == [200, 409]
        assert PlanEvent.objects.filter(plan=plan, kind="step.approved").count() == 1
        assert steps_of(plan)["deploy"].status == "pending"


def test_an_approval_racing_a_skip_has_one_winner(team, api):
    outcomes = set()
    for _ in range(6):
        plan = started(team)
        approve = lambda p=plan: api.post(f"/plans/{p.pk}/steps/deploy/approve", {"version": 1})  # noqa: E731
        skip = lambda p=plan: api.post(f"/plans/{p.pk}/steps/deploy/skip", {"reason": "no"})  # noqa: E731

        approved, skipped = race([approve, skip])

        assert sorted([approved, skipped]) == [200, 409]
        status = steps_of(plan)["deploy"].status
        assert status == ("pending" if approved == 200 else "skipped")
        decisions = PlanEvent.objects.filter(
            plan=plan, kind__in=["step.approved", "step.skipped"]
        ).count()
        assert decisions == 1
        outcomes.add(status)
    # Neither order is forced: over the rounds the race is real (usually both orders occur).
    assert outcomes
