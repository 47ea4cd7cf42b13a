"""Plans that need attention, for the rescue tests: driven through the queue as a worker would."""

from __future__ import annotations

from typing import Any

from executors.protocol import FailureClass, StepOutcome
from orchestration.engine import queue
from plans import services
from plans.models import Plan
from tests.factories import WORKER, approve, step, submit_plan


def claim_all() -> list[queue.Claim]:
    return queue.steps_claim(worker="test", actor=WORKER, limit=100, lease_seconds=60)


def fail(claimed: queue.Claim, error: str = "the tool broke") -> None:
    outcome = StepOutcome.failure(error, FailureClass.BAD_INPUT)
    queue.steps_finish(reports=[queue.Report(claim=claimed, outcome=outcome)], actor=WORKER)


def succeed(claimed: queue.Claim, result: Any = None) -> None:
    outcome = StepOutcome.success(result if result is not None else {"ok": claimed.key})
    queue.steps_finish(reports=[queue.Report(claim=claimed, outcome=outcome)], actor=WORKER)


def started(team: Any, steps: list[Any], **fields: Any) -> Plan:
    plan = approve(submit_plan(team, steps, **fields))
    assert services.plan_start(plan=plan, actor=WORKER)
    return plan


def needing_attention(team: Any) -> Plan:
    """fetch (asks when it fails) -> report, and an independent tidy step that fetch's failure
    leaves pending: the plan needs attention because fetch failed with "the tool broke"."""
    plan = started(
        team,
        [
            step(
                "fetch",
                executor="python",
                params={"function": "list_items", "items": [1]},
                on_failure="ask",
            ),
            step("report", "fetch"),
            step("tidy", "report"),
        ],
    )
    (fetch,) = claim_all()
    fail(fetch)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    return plan


def run_to_end(plan: Plan) -> None:
    """Claim and complete every step the plan lets run, until it has ended or nothing is ready."""
    while claims := claim_all():
        for c in claims:
            succeed(c)
    plan.refresh_from_db()
