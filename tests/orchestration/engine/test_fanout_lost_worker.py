"""An item whose worker keeps dying fails as poison, and only the item fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orchestration.engine import queue
from plans.models import PlanEvent, PlanStep
from tests.factories import WORKER, approve, step, submit_plan
from tests.orchestration.support import run_until, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_completes_the_fan_out_when_an_item_fails_as_poison(team, worker, settings):
    settings.PLANGATE_POISON_AFTER = 1
    plan = approve(
        submit_plan(
            team,
            [
                step("list", executor="python", params={"function": "list_items", "items": ["x"]}),
                step("each", "list", for_each={"over": "list"}),
                step("after", "each"),
            ],
        )
    )
    run_until(
        worker,
        lambda: PlanEvent.objects.filter(plan=plan, kind="step.expanded").exists(),
        "the fan-out",
    )
    [claimed] = queue.steps_claim(worker="doomed", actor=WORKER, limit=10, lease_seconds=60)
    PlanStep.objects.filter(pk=claimed.id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert queue.steps_reclaim_expired(actor=WORKER) == [("each[0]", "poison")]
    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    steps = steps_of(plan)
    assert (steps["each[0]"].status, steps["each[0]"].failure_class) == ("failed", "poison")
    assert (steps["each"].status, steps["each"].result) == ("completed", [None])
    assert steps["each"].error == "1 of 1 items failed: 0"
    assert steps["after"].status == "completed"
