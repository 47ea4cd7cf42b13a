"""An attempt's cost: the executor's, else the team's price, else the one for all teams, else
PLANGATE_PRICING; a model with no price and no cost is recorded as unpriced, at 0."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plans.budgets.prices import parse_pricing
from plans.models import Price, StepUsage
from tests.factories import TeamFactory, step, submit_plan
from tests.plans.budgets.support import run, start


@pytest.fixture
def pricing(settings):
    settings.PLANGATE_PRICING = parse_pricing(
        '{"small": {"input_per_million": 2, "output_per_million": 8, "units": {"searches": 0.01}}}'
    )


def one_step_plan(team):
    return start(submit_plan(team, [step("a")]))


def recorded(plan) -> tuple[Decimal, str]:
    row = StepUsage.objects.get(plan=plan)
    return row.cost, row.cost_source


def test_it_prices_tokens_and_units_from_the_settings(team, pricing) -> None:
    plan = one_step_plan(team)
    run(
        plan, "a", model="small", input_tokens=500_000, output_tokens=100_000, units={"searches": 3}
    )
    # 0.5M * 2 + 0.1M * 8 + 3 * 0.01
    assert recorded(plan) == (Decimal("1.83"), "pricing")
    plan.refresh_from_db()
    assert plan.spent == Decimal("1.83")


def test_the_executor_cost_wins(team, pricing) -> None:
    plan = one_step_plan(team)
    run(plan, "a", cost="0.07", model="small", input_tokens=500_000)
    assert recorded(plan) == (Decimal("0.07"), "executor")


def test_a_price_in_the_admin_overrides_the_settings(team, pricing) -> None:
    Price.objects.create(model="small", input_per_million=10, output_per_million=0)
    plan = one_step_plan(team)
    run(plan, "a", model="small", input_tokens=100_000)
    assert recorded(plan) == (Decimal("1.00"), "pricing")


def test_the_team_price_overrides_the_one_for_all_teams(team, pricing) -> None:
    Price.objects.create(model="small", input_per_million=10)
    Price.objects.create(team=team, model="small", input_per_million=1)
    Price.objects.create(team=TeamFactory(), model="small", input_per_million=100)
    plan = one_step_plan(team)
    run(plan, "a", model="small", input_tokens=1_000_000)
    assert recorded(plan) == (Decimal("1.00"), "pricing")


def test_an_unknown_model_without_cost_is_unpriced(team, api, pricing) -> None:
    plan = one_step_plan(team)
    run(plan, "a", model="mystery", input_tokens=1000, output_tokens=10)
    assert recorded(plan) == (Decimal("0"), "unpriced")
    usage = api.get(f"/plans/{plan.pk}").json()["usage"]
    assert usage["unpriced"] == 1
    assert usage["by_model"] == [
        {
            "model": "mystery",
            "input_tokens": 1000,
            "output_tokens": 10,
            "cost": 0.0,
            "attempts": 1,
            "unpriced": 1,
        }
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "PLANGATE_PRICING must be a JSON object: model -> price"),
        ("{", "PLANGATE_PRICING is not JSON"),
        (
            '{"m": {"input_per_million": -1, "per_call": 2}}',
            "PLANGATE_PRICING: m.per_call is not a price field; "
            "m.input_per_million must be a number of at least 0",
        ),
    ],
)
def test_a_bad_pricing_table_is_refused_at_start(text, message) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace("(", r"\(")):
        parse_pricing(text)
