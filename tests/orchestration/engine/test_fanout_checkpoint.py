"""A plan restored from a checkpoint in the middle of a fan-out goes on with the same limits."""

from __future__ import annotations

import pytest

from executors.protocol import StepOutcome
from orchestration.engine import queue
from plans import checkpoints
from plans.models import PlanEvent
from tests.factories import WORKER, approve, finish, list_step, step, submit_plan
from tests.orchestration.support import run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_restores_a_fan_out_with_its_items_waiting_as_before(team, worker):
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", list(range(6))),
                step("each", "list", for_each={"over": "list", "max_concurrency": 2}),
            ],
        )
    )
    run_until(
        worker,
        lambda: PlanEvent.objects.filter(plan=plan, kind="step.expanded").exists(),
        "the fan-out",
    )
    first, second = queue.steps_claim(worker="gone", actor=WORKER, limit=10, lease_seconds=60)
    assert (first.key, second.key) == ("each[0]", "each[1]")
    assert finish(first, StepOutcome.success("done before"))
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()

    restored = checkpoints.checkpoint_restore(data)

    steps = steps_of(restored)
    assert steps["each"].status == "in_progress"
    assert [(steps[f"each[{i}]"].status, steps[f"each[{i}]"].waiting_on) for i in range(6)] == [
        ("completed", 0),
        ("pending", 0),  # was running: runs again
        ("pending", 0),  # item 0 ended
        ("pending", 1),  # waits for item 1
        ("pending", 1),  # waits for item 2
        ("pending", 1),  # waits for item 3
    ]
    run_until_idle(worker)
    restored.refresh_from_db()
    assert restored.status == "completed"
    result = steps_of(restored)["each"].result
    assert result[0] == "done before"
    assert [r["inputs"]["index"] for r in result[1:]] == [1, 2, 3, 4, 5]
