"""A restored plan with action steps goes on: a pending step's `$from` input resolves from the
restored result of the step it reads, and is checked against the action's input schema."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from plans import checkpoints
from plans.models import Plan, PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration import bound
from tests.orchestration.engine import bindings_scenario as scenario
from tests.orchestration.support import run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def actions(settings: Any, allow_functions: Any) -> None:
    scenario.setup(settings, allow_functions)


def test_a_restored_plan_resolves_its_bindings_from_restored_results(
    team: Any, worker: Any
) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step("locate", executor="", action="locate", inputs={"place": {"$input": "place"}}),
                step(
                    "weather",
                    executor="",
                    action="forecast",
                    inputs={"city": {"$from": "locate.result.place.city"}, "days": 2},
                ),
            ],
            inputs={"place": {"city": "Oslo"}},
        )
    )
    now = timezone.now()
    Plan.objects.filter(pk=plan.pk).update(status="executing", started_at=now)
    # It ran elsewhere and found Bergen; the restored result is what the next step reads.
    PlanStep.objects.filter(plan=plan, key="locate").update(
        status="completed",
        result={"place": {"city": "Bergen"}},
        attempts=1,
        started_at=now,
        finished_at=now,
    )
    PlanStep.objects.filter(plan=plan, key="weather").update(waiting_on=0)
    data = checkpoints.checkpoint_for_plan(plan)
    plan_id = plan.pk
    plan.delete()

    checkpoints.checkpoint_restore(data)
    run_until_idle(worker)

    restored = Plan.objects.get(pk=plan_id)
    assert restored.status == "completed"
    weather = steps_of(restored)["weather"]
    assert weather.result["params"] == {
        "function": "received",
        "units": "metric",
        "city": "Bergen",
        "days": 2,
    }
    assert weather.params["city"] == {"$from": "locate.result.place.city"}
    assert bound.CALLS == ["weather"]
