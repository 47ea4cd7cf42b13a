"""GET /api/v1/usage?month=YYYY-MM: what the team's plans spent in a month, by plan and model."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from plans.models import StepUsage
from tests.factories import step, submit_plan
from tests.plans.budgets.support import run, start


def test_it_sums_the_month_by_plan_and_model(team, other_team, api) -> None:
    team.monthly_budget = Decimal(50)
    team.save()
    plan = start(submit_plan(team, [step("a"), step("b", "a")], title="Big"))
    run(plan, "a", cost="1.25", model="small", input_tokens=100)
    run(plan, "b", cost="2", model="large", output_tokens=7)
    elsewhere = start(submit_plan(other_team, [step("a")]))
    run(elsewhere, "a", cost="99")
    month = timezone.now().strftime("%Y-%m")

    body = api.get("/usage", month=month).json()
    assert body["month"] == month
    assert body["spent"] == 3.25
    assert body["cost"] == 3.25
    assert body["budget"] == 50.0
    assert [(m["model"], m["cost"]) for m in body["by_model"]] == [("large", 2.0), ("small", 1.25)]
    assert body["by_plan"] == [
        {"plan_id": str(plan.pk), "title": "Big", "cost": 3.25, "attempts": 2}
    ]
    assert api.get("/usage").json()["spent"] == 3.25


def test_another_month_is_its_own(team, api) -> None:
    plan = start(submit_plan(team, [step("a")]))
    run(plan, "a", cost="1")
    StepUsage.objects.update(month="2020-01")
    body = api.get("/usage", month="2020-02").json()
    assert body["cost"] == 0
    assert body["by_plan"] == []
    assert api.get("/usage", month="2020-01").json()["cost"] == 1.0


def test_a_bad_month_is_a_422(api) -> None:
    answer = api.get("/usage", month="2020-13")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "month"]
