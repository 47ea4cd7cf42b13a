"""On PostgreSQL a plan whose steps have all ended well is completed by one statement in the
transaction that records its last outcome: the plan, its event, and whether anyone subscribed
to hear of it, without counting its steps or reading its team's subscriptions."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from executors.protocol import StepOutcome
from orchestration.engine import queue
from plans import realtime, services
from plans.models import EventKind, NotificationType, OutboxMessage
from tests.factories import WORKER, approve, claim, step, submit_plan
from tests.plans.notifications.support import webhook

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def finish(claimed: queue.Claim) -> queue.Finished:
    return queue.steps_finish_and_claim(
        reports=[queue.Report(claim=claimed, outcome=StepOutcome.success({"ok": True}))],
        actor=WORKER,
        slots=queue.Slots("test", 10, 60),
    )


def test_the_last_outcome_and_the_plan_end_take_four_statements(
    team: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = approve(submit_plan(team, [step("a"), step("b", "a")]))
    services.plan_start(plan=plan, actor=WORKER)
    [last] = finish(claim(plan, "a")).claims
    published: list[Any] = []
    monkeypatch.setattr(realtime, "publish_many", lambda batch: published.extend(batch))

    with CaptureQueriesContext(connection) as queries:
        finished = finish(last)

    statements = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    # Lock the plan, record the outcome, end the plan, look for more to claim.
    assert len(statements) == 4, "\n\n".join(statements)
    assert finished.accepted == {last.id}
    plan.refresh_from_db()
    assert plan.status == "completed"
    assert plan.finished_at is not None
    [ended] = plan.events.filter(kind=EventKind.PLAN_COMPLETED)
    assert (ended.actor, ended.actor_user, ended.step_key, ended.data) == (
        WORKER.label,
        None,
        "",
        {},
    )
    # The plan's pages learn of the end once it has committed.
    assert (plan.pk, plan.team_id, ended.pk) in published


def test_a_team_that_subscribed_hears_of_the_end(team: Any) -> None:
    webhook(team, "https://hooks.example.com/plangate")
    plan = approve(submit_plan(team, [step("a")]))
    services.plan_start(plan=plan, actor=WORKER)

    finish(claim(plan, "a"))

    plan.refresh_from_db()
    assert plan.status == "completed"
    message = OutboxMessage.objects.get(event__plan=plan, type=NotificationType.PLAN_COMPLETED)
    assert message.event_id == plan.events.get(kind=EventKind.PLAN_COMPLETED).pk
    assert message.payload["plan"]["status"] == "completed"


def test_a_plan_with_a_failed_step_is_not_completed_by_it(team: Any) -> None:
    plan = approve(submit_plan(team, [step("a", max_attempts=1), step("b")]))
    services.plan_start(plan=plan, actor=WORKER)
    first, second = sorted(
        queue.steps_claim(worker="test", actor=WORKER, limit=2, lease_seconds=60),
        key=lambda c: c.key,
    )
    queue.steps_finish(
        reports=[queue.Report(claim=first, outcome=StepOutcome.failure("broken"))], actor=WORKER
    )

    finish(second)

    plan.refresh_from_db()
    assert plan.status == "failed"
    assert not plan.events.filter(kind=EventKind.PLAN_COMPLETED).exists()
