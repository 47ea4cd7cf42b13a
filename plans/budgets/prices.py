"""The pricing table of the settings (PLANGATE_PRICING), read and checked at start-up. Pure: no
database, so the settings module can use it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from plans.budgets.rules import amount

MILLION = Decimal(1_000_000)
PRICE_FIELDS = ("input_per_million", "output_per_million", "units")


@dataclass(frozen=True)
class ModelPrice:
    """What one model's tokens (per million) and units (each) cost."""

    input_per_million: Decimal = Decimal(0)
    output_per_million: Decimal = Decimal(0)
    units: dict[str, Decimal] = field(default_factory=dict)

    def cost(self, *, input_tokens: int, output_tokens: int, units: dict[str, float]) -> Decimal:
        """The cost of this much use, to 4 places; units without a price cost nothing."""
        total = (
            Decimal(input_tokens) * self.input_per_million
            + Decimal(output_tokens) * self.output_per_million
        ) / MILLION
        for name, count in units.items():
            total += Decimal(str(count)) * self.units.get(name, Decimal(0))
        return total.quantize(Decimal("0.0001"))


def price_problems(where: str, entry: Any) -> list[str]:
    """What is wrong with one model's price, each message naming `where` it is."""
    if not isinstance(entry, dict):
        return [f"{where} must be an object with {', '.join(PRICE_FIELDS)}"]
    found = [f"{where}.{name} is not a price field" for name in entry if name not in PRICE_FIELDS]
    for name in ("input_per_million", "output_per_million"):
        if name in entry and amount(entry[name]) is None:
            found.append(f"{where}.{name} must be a number of at least 0")
    units = entry.get("units", {})
    if not isinstance(units, dict) or not all(
        isinstance(k, str) and amount(v) is not None for k, v in units.items()
    ):
        found.append(f"{where}.units must map unit names to prices of at least 0")
    return found


def model_price(entry: dict[str, Any]) -> ModelPrice:
    """A checked price entry (see price_problems) as a ModelPrice."""
    return ModelPrice(
        input_per_million=amount(entry.get("input_per_million", 0)) or Decimal(0),
        output_per_million=amount(entry.get("output_per_million", 0)) or Decimal(0),
        units={k: amount(v) or Decimal(0) for k, v in (entry.get("units") or {}).items()},
    )


def parse_pricing(text: str) -> dict[str, ModelPrice]:
    """PLANGATE_PRICING as given in the environment: a JSON object of model ->
    {"input_per_million": x, "output_per_million": y, "units": {"name": price}}.

    Raises ValueError naming every problem.
    """
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"PLANGATE_PRICING is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("PLANGATE_PRICING must be a JSON object: model -> price")
    found = [p for model, entry in data.items() for p in price_problems(model, entry)]
    if found:
        raise ValueError("PLANGATE_PRICING: " + "; ".join(found))
    return {model: model_price(entry) for model, entry in data.items()}
