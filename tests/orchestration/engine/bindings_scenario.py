"""The scenario the binding tests run, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from plans.models import Plan, PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration import bound
from tests.orchestration.support import run_until_idle, steps_of


def setup(settings: Any, allow_functions: Any) -> None:
    allow_functions(received=f"{bound.__name__}.received")
    settings.PLANGATE_ACTIONS = bound.ACTIONS
    bound.CALLS.clear()


def run(team: Any, worker: Any, place: Any) -> Plan:
    plan = approve(
        submit_plan(
            team,
            [
                step("locate", executor="", action="locate", inputs={"place": place}),
                step(
                    "weather",
                    executor="",
                    action="forecast",
                    inputs={"city": {"$from": "locate.result.place.address.city"}, "days": 2},
                ),
            ],
        )
    )
    run_until_idle(worker)
    plan.refresh_from_db()
    return plan


def a_bound_value_reaches_the_executor(team: Any, worker: Any) -> None:
    plan = run(team, worker, {"address": {"city": "Bergen"}})

    assert plan.status == "completed"
    weather = steps_of(plan)["weather"]
    assert weather.result["params"] == {
        "function": "received",
        "units": "metric",
        "city": "Bergen",
        "days": 2,
    }
    # What was approved stays as it was: the binding, not the value.
    assert weather.params["city"] == {"$from": "locate.result.place.address.city"}
    assert bound.CALLS == ["locate", "weather"]


def a_mismatch_fails_as_bad_input_without_running(team: Any, worker: Any) -> None:
    plan = run(team, worker, {"address": {"city": 47}})

    assert plan.status == "failed"
    weather = steps_of(plan)["weather"]
    assert weather.failure_class == "bad_input"
    assert weather.attempts == 1
    assert weather.error == "input 'city': 47 is not of type 'string'"
    assert bound.CALLS == ["locate"]
    event = PlanEvent.objects.get(plan=plan, kind="step.failed", step_key="weather")
    assert "input 'city'" in event.data["error"]


def a_missing_path_fails_as_bad_input(team: Any, worker: Any) -> None:
    plan = run(team, worker, {"address": {}})

    weather = steps_of(plan)["weather"]
    assert weather.failure_class == "bad_input"
    assert "input 'city'" in weather.error
    assert "place.address has no field 'city'" in weather.error
    assert bound.CALLS == ["locate"]
