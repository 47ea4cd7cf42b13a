"""The API shows a pending decision's deadline, and none once it is decided."""

from __future__ import annotations

import pytest

from plans import services
from tests.factories import step, submit_plan

pytestmark = pytest.mark.django_db


def test_it_shows_the_plans_and_each_gates_deadline(api, team):
    plan = submit_plan(
        team,
        [step("deploy", approval="required", decision_deadline=900, on_timeout="skip")],
        decision_deadline=3600,
    )
    body = api.get(f"/plans/{plan.pk}").json()
    assert body["decision_deadline"]["on_timeout"] == "cancel"
    assert body["decision_deadline"]["at"] is not None
    gate = body["steps"][0]["decision_deadline"]
    assert (gate["at"], gate["seconds"], gate["on_timeout"]) == (None, 900, "skip")

    services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)
    services.plan_start(plan=plan, actor=services.SYSTEM)
    body = api.get(f"/plans/{plan.pk}").json()
    assert body["decision_deadline"] is None
    assert body["steps"][0]["decision_deadline"]["at"] is not None


def test_it_shows_no_deadline_for_a_plan_without_one(api, team):
    plan = submit_plan(team)
    body = api.get(f"/plans/{plan.pk}").json()
    assert body["decision_deadline"] is None
    assert body["steps"][0]["decision_deadline"] is None
