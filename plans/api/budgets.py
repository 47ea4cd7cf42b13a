"""Budget endpoints: a reviewer raises the budget of a plan its spending holds; the team's
usage by month."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from plans import services
from plans.api.auth import TokenAuth, needs
from plans.api.budget_schemas import TeamUsageOut
from plans.api.endpoints import answers, fresh, plan_of, token_of
from plans.api.schemas import PlanOut, RequestBody
from plans.budgets import holds
from plans.budgets import selectors as budget_selectors
from plans.budgets import services as budgets
from plans.models import Plan, Scope

router = Router(auth=TokenAuth(), tags=["budgets"])
usage_router = Router(auth=TokenAuth(), tags=["budgets"])


class BudgetIn(RequestBody):
    """A new budget for a plan held at its budget."""

    version: int = Field(description="The plan version you saw; a 409 if it has moved on.")
    budget: float | str = Field(
        description="The new budget: above what the plan spent, at most 9999999999."
    )


class MonthQuery(Schema):
    month: str = Field(
        "",
        pattern=r"^(\d{4}-(0[1-9]|1[0-2]))?$",
        description="YYYY-MM (UTC); this month if omitted.",
    )


@router.post(
    "/{uuid:plan_id}/budget",
    response=answers({200: PlanOut}),
    summary="Raise the budget of a plan held at its budget",
    auth=needs(Scope.DECIDE),
)
def raise_budget(request: HttpRequest, plan_id: UUID, payload: BudgetIn) -> Plan:
    """Raise the budget of a plan that needs attention because its spending reached its
    budget. With a quorum of n, n different approvers must ask for the same amount at the same
    version; until then each is recorded (`usage.raises` says "1 of 2"). Once raised above what
    was spent, the plan resumes. A 409 names the plan's status and version when it is not held
    for its budget or has moved on; a 422 when the amount is not above what was spent."""
    plan = plan_of(request, plan_id)
    budgets.plan_budget_raise(
        plan=plan,
        actor=services.Actor.for_token(token_of(request)),
        version=payload.version,
        budget=payload.budget,
    )
    return fresh(plan)


@usage_router.get(
    "",
    response=answers({200: TeamUsageOut}),
    summary="What the team's plans spent in a month",
    auth=needs(Scope.READ),
)
def team_usage(request: HttpRequest, query: Query[MonthQuery]) -> dict[str, Any]:
    """Tokens and cost of the team's plans in `month` (UTC): in all, by model and by plan,
    with the team's monthly budget."""
    month = query.month or holds.this_month()
    return budget_selectors.team_usage(token_of(request).team, month)
