"""A fan-out over an empty list completes at once with an empty result."""

from __future__ import annotations

import pytest

from plans.models import PlanEvent, PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_completes_with_an_empty_list_and_runs_on(team, worker):
    plan = approve(
        submit_plan(
            team,
            [
                step("list", executor="python", params={"function": "list_items", "items": []}),
                step("each", "list", for_each={"over": "list"}),
                step("after", "each"),
            ],
        )
    )

    run_until_idle(worker)

    plan.refresh_from_db()
    assert plan.status == "completed"
    steps = steps_of(plan)
    assert (steps["each"].status, steps["each"].result) == ("completed", [])
    assert steps["after"].result["inputs"] == {"each": []}
    assert not PlanStep.objects.filter(parent=steps["each"]).exists()
    assert not PlanEvent.objects.filter(plan=plan, kind="step.expanded").exists()
