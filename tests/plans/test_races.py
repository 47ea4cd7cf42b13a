"""Racing reviewers: exactly one winner, everyone else a conflict, exactly one event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestration.engine import queue
from plans import services
from plans.models import Plan, PlanEvent
from plans.states import DomainError
from tests.factories import step, submit_plan
from tests.races import at_once


def race(calls: list[Callable[[], Any]]) -> list[str]:
    """Run the calls at the same moment; 'ok' or the conflict of each."""
    outcomes = at_once(calls)
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, DomainError):
            raise outcome
    return [f"conflict: {o}" if isinstance(o, DomainError) else "ok" for o in outcomes]


pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_approve_against_cancel_has_one_winner_of_each(team: Any) -> None:
    # An approval may win before the cancel (approved plans can still be cancelled) or lose to
    # it; either way exactly one approval or none, exactly one cancel, one event for each success.
    outcomes = set()
    for _ in range(8):
        plan = submit_plan(team, [step("a")])
        approve = lambda p=plan: services.plan_approve(plan=p, actor=services.SYSTEM, version=1)  # noqa: E731
        cancel = lambda p=plan: services.plan_cancel(plan=p, actor=services.SYSTEM, reason="no")  # noqa: E731
        results = race([approve, cancel, approve, cancel, approve, cancel])
        approvals = [r for i, r in enumerate(results) if i % 2 == 0]
        cancels = [r for i, r in enumerate(results) if i % 2 == 1]
        assert cancels.count("ok") == 1, results
        assert approvals.count("ok") <= 1, results
        outcomes.add(approvals.count("ok"))
        events = list(
            PlanEvent.objects.filter(plan=plan, kind__in=["plan.approved", "plan.cancelled"])
            .order_by("id")
            .values_list("kind", flat=True)
        )
        assert events == ["plan.approved"] * approvals.count("ok") + ["plan.cancelled"]
        assert Plan.objects.get(pk=plan.pk).status == "cancelled"
    assert outcomes


def test_two_approvals_have_one_winner(team: Any) -> None:
    plan = submit_plan(team)
    approve = lambda: services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)  # noqa: E731
    results = race([approve] * 8)
    assert results.count("ok") == 1
    assert all(
        r == "conflict: cannot approve a plan that is approved" for r in results if r != "ok"
    )
    assert PlanEvent.objects.filter(plan=plan, kind="plan.approved").count() == 1


def test_skip_against_start_has_one_winner(team: Any) -> None:
    for _ in range(5):
        plan = submit_plan(team, [step("a")])
        services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)
        services.plan_start(plan=plan, actor=services.SYSTEM)

        def start() -> None:
            claims = queue.steps_claim(
                worker="w", actor=services.SYSTEM, limit=10, lease_seconds=60
            )
            if not claims:
                raise DomainError("not claimed")

        skip = lambda p=plan: services.step_skip(plan=p, key="a", actor=services.SYSTEM, reason="r")  # noqa: E731
        results = race([start, skip, start, skip])
        assert results.count("ok") == 1, results
        events = PlanEvent.objects.filter(plan=plan, kind__in=["step.started", "step.skipped"])
        assert events.count() == 1
        winner = "in_progress" if events.get().kind == "step.started" else "skipped"
        assert Plan.objects.get(pk=plan.pk).steps.get().status == winner
