"""A team at its monthly budget: a worker starting its plans holds them instead, saying why;
an admin raising the monthly budget lets them go."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plans import services
from plans.access.checks import AccessDenied
from plans.budgets import services as budgets
from plans.models import EventKind, PlanEvent, TeamEvent
from tests.factories import UserFactory, approve, claim, step, submit_plan
from tests.plans.budgets.support import run, start


def test_a_plan_started_at_the_team_budget_holds(team, reviewer) -> None:
    team.monthly_budget = Decimal(1000)
    team.save()
    first = start(submit_plan(team, [step("a")]))
    run(first, "a", cost="1000")

    second = approve(submit_plan(team, [step("a")]))
    assert services.plan_start(plan=second, actor=services.SYSTEM)
    second.refresh_from_db()
    assert second.status == "needs_attention"
    assert second.hold_reason == "team budget reached: 1,000.00 of 1,000.00 this month"
    assert PlanEvent.objects.filter(plan=second, kind=EventKind.PLAN_BUDGET_REACHED).exists()

    team.memberships.filter(user=reviewer).update(role="admin")
    budgets.team_budget_set(
        team=team, actor=services.Actor.for_user(reviewer), monthly_budget="2000"
    )
    second.refresh_from_db()
    assert second.status == "executing"
    assert second.hold_reason == ""
    assert claim(second, "a").key == "a"
    assert TeamEvent.objects.get(team=team, kind="budget.changed").data == {
        "old": "1000.0000",
        "new": "2000.0000",
    }


def test_only_an_admin_sets_the_team_budget(team, reviewer) -> None:
    with pytest.raises(AccessDenied):
        budgets.team_budget_set(
            team=team, actor=services.Actor.for_user(reviewer), monthly_budget="10"
        )
    outsider = UserFactory()
    with pytest.raises(AccessDenied):
        budgets.team_budget_set(
            team=team, actor=services.Actor.for_user(outsider), monthly_budget="10"
        )
    team.refresh_from_db()
    assert team.monthly_budget is None


def test_raising_the_team_budget_in_the_admin_resumes_held_plans(team, rf) -> None:
    from django.contrib import admin

    from plans.admin import TeamAdmin
    from plans.models import Team

    team.monthly_budget = Decimal(5)
    team.save()
    first = start(submit_plan(team, [step("a")]))
    run(first, "a", cost="5")
    held = approve(submit_plan(team, [step("a")]))
    services.plan_start(plan=held, actor=services.SYSTEM)
    held.refresh_from_db()
    assert held.status == "needs_attention"

    request = rf.post("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    team.monthly_budget = Decimal(50)

    class Changed:
        changed_data = ["monthly_budget"]

    TeamAdmin(Team, admin.site).save_model(request, team, Changed(), True)
    held.refresh_from_db()
    assert held.status == "executing"
