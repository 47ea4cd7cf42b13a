"""A step that was running when the checkpoint was taken runs again after the restore."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from plans import checkpoints
from plans.models import Plan, PlanStep
from tests.factories import approve, step, submit_plan


def test_it_puts_running_steps_back_to_pending_and_counts_what_they_wait_for(team: Any) -> None:
    plan = approve(
        submit_plan(
            team,
            [step("a"), step("b"), step("c", "a", "b"), step("d", "c"), step("e", "a")],
        )
    )
    now = timezone.now()
    Plan.objects.filter(pk=plan.pk).update(status="executing", started_at=now)
    PlanStep.objects.filter(plan=plan, key="a").update(
        status="completed", result=1, attempts=1, finished_at=now
    )
    PlanStep.objects.filter(plan=plan, key__in=["c", "e"]).update(waiting_on=1)
    PlanStep.objects.filter(plan=plan, key="b").update(
        status="in_progress",
        attempts=2,
        error="timed out",
        failure_class="timeout",
        started_at=now,
        lease_owner="host:1",
        lease_expires_at=now + timedelta(seconds=30),
    )
    PlanStep.objects.filter(plan=plan, key="e").update(
        run_after=now + timedelta(seconds=60), waiting_on=0
    )
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()

    restored = checkpoints.checkpoint_restore(data)

    assert restored.status == "executing"
    steps = {s.key: s for s in restored.steps.all()}
    b = steps["b"]
    assert b.status == "pending"
    # The next claim makes it attempt 3; the attempt that was cut off is not held against its
    # max_attempts.
    assert (b.attempts, b.spared_attempts) == (2, 1)
    assert (b.error, b.failure_class) == ("timed out", "timeout")
    assert (b.lease_owner, b.lease_expires_at, b.started_at) == ("", None, None)
    assert {key: s.waiting_on for key, s in steps.items()} == {
        "a": 0,
        "b": 0,
        "c": 1,  # a completed, b not yet
        "d": 1,
        "e": 0,
    }
    assert steps["e"].run_after is None
    assert steps["a"].status == "completed"


def test_a_fanned_out_step_keeps_waiting_for_its_children(team: Any) -> None:
    plan = approve(
        submit_plan(team, [step("list"), step("each", "list", for_each={"over": "list"})])
    )
    Plan.objects.filter(pk=plan.pk).update(status="executing")
    PlanStep.objects.filter(plan=plan, key="list").update(status="completed", result=[1])
    PlanStep.objects.filter(plan=plan, key="each").update(status="in_progress", attempts=1)
    each = PlanStep.objects.get(plan=plan, key="each")
    PlanStep.objects.create(
        plan=plan,
        key="each[0]",
        task="do each",
        executor="echo",
        parent=each,
        item_index=0,
        item=1,
        status="in_progress",
        attempts=1,
        lease_owner="host:1",
    )
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()

    steps = {s.key: s for s in checkpoints.checkpoint_restore(data).steps.all()}

    # Running it again would fan out a second time; its child is what runs again.
    assert steps["each"].status == "in_progress"
    assert (steps["each[0]"].status, steps["each[0]"].parent_id) == ("pending", steps["each"].pk)
