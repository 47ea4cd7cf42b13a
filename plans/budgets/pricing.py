"""What an attempt cost: the executor's figure, else the pricing table's, else nothing
(unpriced). Prices in the database (the admin's `Price`, the team's before the one for all
teams) override PLANGATE_PRICING for their model."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from executors.protocol import Usage
from plans.budgets.prices import ModelPrice
from plans.budgets.rules import amount
from plans.models import CostSource, Price


def price_for(team_id: int, model: str) -> ModelPrice | None:
    """The price of `model` for the team: its own, the one for all teams, the settings'."""
    if not model:
        return None
    rows = sorted(
        Price.objects.filter(Q(team_id=team_id) | Q(team=None), model=model),
        key=lambda p: p.team_id is None,
    )
    if rows:
        row = rows[0]
        return ModelPrice(
            input_per_million=row.input_per_million,
            output_per_million=row.output_per_million,
            units={k: amount(v) or Decimal(0) for k, v in (row.units or {}).items()},
        )
    table: dict[str, ModelPrice] = settings.PLANGATE_PRICING
    return table.get(model)


def cost_of(team_id: int, usage: Usage) -> tuple[Decimal, str]:
    """The cost of one attempt's usage and where it came from (a CostSource value)."""
    if usage.cost is not None:
        return amount(usage.cost) or Decimal(0), CostSource.EXECUTOR
    price = price_for(team_id, usage.model)
    if price is None:
        return Decimal(0), CostSource.UNPRICED
    cost = price.cost(
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, units=usage.units
    )
    return cost, CostSource.PRICING
