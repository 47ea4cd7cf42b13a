"""`manage.py runworker --once` runs approved plans and exits when nothing is left to do."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from executors.protocol import StepSpec
from plans.models import PlanEvent, PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_runs_approved_plans_to_completion_and_exits(team):
    plan = approve(submit_plan(team, [step("a"), step("b", "a"), step("c", "a")]))

    call_command("runworker", "--once", "--poll", "0.05", "--concurrency", "2", "--name", "cron-1")

    plan.refresh_from_db()
    assert plan.status == "completed"
    assert {s.status for s in steps_of(plan).values()} == {"completed"}
    actors = set(PlanEvent.objects.filter(kind="step.started").values_list("actor", flat=True))
    assert actors == {"worker:cron-1"}


def test_it_leaves_plans_awaiting_approval_alone(team):
    plan = submit_plan(team, [step("a")])

    call_command("runworker", "--once")

    plan.refresh_from_db()
    assert plan.status == "draft"


LEASES: list[float] = []


def note_lease(spec: StepSpec) -> str:
    """Notes how long the lease on its own step runs from the moment it was claimed."""
    try:
        step = PlanStep.objects.get(plan_id=spec.plan_id, key=spec.step_key)
        LEASES.append((step.lease_expires_at - step.started_at).total_seconds())
    finally:
        connection.close()
    return "noted"


def test_it_leases_steps_for_the_time_given(team, allow_functions):
    allow_functions(note_lease=f"{__name__}.note_lease")
    LEASES.clear()
    plan = approve(
        submit_plan(team, [step("a", executor="python", params={"function": "note_lease"})])
    )

    call_command("runworker", "--once", "--lease", "7.5", "--name", "cron-2")

    plan.refresh_from_db()
    assert plan.status == "completed"
    assert [pytest.approx(7.5, abs=0.5)] == LEASES


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--lease", "0"], "--lease must be a positive number of seconds"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--grace", "-1"], "--grace must not be negative"),
    ],
)
def test_it_refuses_nonsense_options(option, message):
    with pytest.raises(CommandError, match=message):
        call_command("runworker", "--once", *option)
