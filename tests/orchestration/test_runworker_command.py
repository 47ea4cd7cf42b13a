"""`manage.py runworker --once` runs approved plans and exits when nothing is left to do."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from plans.models import PlanEvent
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
