"""Amounts as submitted: a plan's budget and its steps' expected costs. Pure."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from plans.validation import Problem, StepDraft

# The most a budget or a cost may be: what the database column holds (14 digits, 4 decimals).
MAX_AMOUNT = Decimal("9999999999")


def amount(value: Any) -> Decimal | None:
    """A number (or a numeric string) as a Decimal of at most 4 places; None if it is no amount
    from 0 to MAX_AMOUNT."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number > MAX_AMOUNT:
        return None
    return number.quantize(Decimal("0.0001"))


def problems(*, budget: Any, steps: list[StepDraft]) -> list[Problem]:
    """Problems with the plan's budget and its steps' estimated costs."""
    found = [
        Problem((*s.loc, "estimated_cost"), f"must be a number from 0 to {MAX_AMOUNT}")
        for s in steps
        if s.estimated_cost is not None and amount(s.estimated_cost) is None
    ]
    if budget is not None and (amount(budget) is None or amount(budget) == 0):
        found.append(Problem(("budget",), f"must be a number above 0, at most {MAX_AMOUNT}"))
    return found
