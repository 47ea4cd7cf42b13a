"""The shapes of usage, cost and budgets in the API (plans/budgets/)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from plans.budgets import selectors as budget_selectors
from plans.models import Plan


class ModelUsageOut(Schema):
    model: str = Field(description='The model the executor named; "" when it named none.')
    input_tokens: int
    output_tokens: int
    cost: float
    attempts: int
    unpriced: int = Field(description="Attempts with no cost and no price for the model (0).")


class UsageOut(Schema):
    """What attempts consumed and cost: in all, and by model."""

    input_tokens: int
    output_tokens: int
    cost: float = Field(description="From the executors, else the pricing table; unpriced: 0.")
    attempts: int = Field(description="Attempts that reported usage.")
    unpriced: int = Field(description="Attempts with no cost and no price for their model.")
    by_model: list[ModelUsageOut]


class BudgetRaiseOut(Schema):
    """Approvers asking to raise a held plan's budget to one amount, at its current version."""

    budget: float
    by: list[str] = Field(description='Who asked: "user:alice", "token:<prefix>".')
    count: int
    required: int = Field(description="Approvers needed for the raise to take effect.")


class PlanUsageOut(UsageOut):
    spent: float = Field(description="What the plan's attempts cost so far.")
    estimate: float | None = Field(
        description="The sum of the steps' estimated costs; null when none carries one."
    )
    hold_reason: str = Field(
        description='Why spending holds the plan ("budget reached: 4.80 of 5.00"); "" if not.'
    )
    raises: list[BudgetRaiseOut] = Field(description="Raises waiting for more approvers.")


class TeamPlanSpendOut(Schema):
    plan_id: Any
    title: str
    cost: float
    attempts: int


class TeamUsageOut(UsageOut):
    """What the team's plans spent in one calendar month (UTC)."""

    month: str = Field(description="YYYY-MM")
    spent: float
    budget: float | None = Field(description="The team's monthly budget; null: none.")
    by_plan: list[TeamPlanSpendOut] = Field(description="Costliest first.")


def plan_usage(plan: Plan) -> dict[str, Any]:
    """PlanOut.usage: the plan's spending, estimate, hold and usage."""
    money = budget_selectors.plan_budget(plan)
    return {
        **money.usage.as_dict(),
        "spent": money.spent,
        "estimate": money.estimate,
        "hold_reason": money.hold_reason,
        "raises": [
            {"budget": v.budget, "by": v.by, "count": len(v.by), "required": v.required}
            for v in money.votes
        ],
    }
