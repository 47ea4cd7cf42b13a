"""Reads of usage, cost and budgets for the API, the pages, the admin and the metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from plans.budgets import holds
from plans.models import (
    CostSource,
    EventKind,
    Plan,
    PlanEvent,
    PlanStep,
    StepUsage,
    Team,
    TeamMonthSpend,
)
from plans.states import PlanStatus


@dataclass
class UsageSummary:
    """Tokens and cost of some attempts, in all and by model."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    attempts: int = 0
    # Attempts whose model had no price and whose executor gave no cost: counted at 0.
    unpriced: int = 0
    by_model: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, row: StepUsage) -> None:
        self.input_tokens += row.input_tokens
        self.output_tokens += row.output_tokens
        self.cost += row.cost
        self.attempts += 1
        self.unpriced += row.cost_source == CostSource.UNPRICED
        model = self.by_model.setdefault(
            row.model,
            {
                "model": row.model,
                "input_tokens": 0,
                "output_tokens": 0,
                "cost": Decimal(0),
                "attempts": 0,
                "unpriced": 0,
            },
        )
        model["input_tokens"] += row.input_tokens
        model["output_tokens"] += row.output_tokens
        model["cost"] += row.cost
        model["attempts"] += 1
        model["unpriced"] += row.cost_source == CostSource.UNPRICED

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost,
            "attempts": self.attempts,
            "unpriced": self.unpriced,
            "by_model": sorted(self.by_model.values(), key=lambda m: m["model"]),
        }


def usage_by_step(plan: Plan) -> tuple[UsageSummary, dict[int, UsageSummary]]:
    """The plan's usage in all (its planning's included), and by step id (a fan-out item's
    counts for itself)."""
    total = UsageSummary()
    steps: dict[int, UsageSummary] = {}
    for row in StepUsage.objects.filter(plan=plan).order_by("id"):
        total.add(row)
        if row.step_id is not None:
            steps.setdefault(row.step_id, UsageSummary()).add(row)
    return total, steps


def plan_estimate(plan: Plan) -> Decimal | None:
    """The sum of the steps' estimated costs; None when no step carries one."""
    return plan.steps.filter(parent=None).aggregate(total=Sum("estimated_cost"))["total"]


@dataclass(frozen=True)
class RaiseVote:
    """Approvers asking for one new budget at the plan's current version."""

    budget: Decimal
    by: list[str]
    required: int

    @property
    def summary(self) -> str:
        return f"{len(self.by)} of {self.required}"


def raise_votes(plan: Plan) -> list[RaiseVote]:
    """The raises recorded for the plan's current version that still wait for more approvers."""
    if plan.status != PlanStatus.NEEDS_ATTENTION:
        return []
    amounts: dict[str, set[str]] = {}
    for event in PlanEvent.objects.filter(
        plan=plan, kind=EventKind.BUDGET_RAISE_RECORDED, data__version=plan.version
    ).order_by("id"):
        amounts.setdefault(str(event.data.get("budget")), set()).add(event.actor)
    required = max(plan.required_approvals, 1)
    return [
        RaiseVote(budget=Decimal(amount), by=sorted(by), required=required)
        for amount, by in amounts.items()
    ]


@dataclass(frozen=True)
class PlanBudget:
    """What the plan page and the API say about a plan's money."""

    estimate: Decimal | None
    budget: Decimal | None
    spent: Decimal
    hold_reason: str
    # Held for its own budget: a reviewer may raise it.
    raisable: bool
    votes: list[RaiseVote]
    usage: UsageSummary
    steps: dict[int, UsageSummary]


def plan_budget(plan: Plan, steps: list[PlanStep] | None = None) -> PlanBudget:
    """The plan's money; `steps`, its steps when the caller has them already (no query for the
    estimate then, and none for the usage of a plan that has not started)."""
    # Before the plan starts only its planning (plans/planning/) may have cost something.
    if plan.started_at is None and not plan.spent:
        total, by_step = UsageSummary(), dict[int, UsageSummary]()
    else:
        total, by_step = usage_by_step(plan)
    if steps is None:
        estimate = plan_estimate(plan)
    else:
        costs = [s.estimated_cost for s in steps if s.parent_id is None]
        estimate = sum((c for c in costs if c is not None), Decimal(0))
        if all(c is None for c in costs):
            estimate = None
    held = plan.status == PlanStatus.NEEDS_ATTENTION and bool(plan.hold_reason)
    return PlanBudget(
        estimate=estimate,
        budget=plan.budget,
        spent=plan.spent,
        hold_reason=plan.hold_reason if held else "",
        raisable=held and holds.plan_over(plan),
        votes=raise_votes(plan),
        usage=total,
        steps=by_step,
    )


def team_usage(team: Team, month: str) -> dict[str, Any]:
    """What the team's plans spent in `month` ("YYYY-MM"): in all, by plan and by model."""
    rows = StepUsage.objects.filter(team=team, month=month)
    summary = UsageSummary()
    for row in rows.order_by("id"):
        summary.add(row)
    by_plan = [
        {
            "plan_id": r["plan_id"],
            "title": (r["plan__title"] or r["plan__goal"] or "")[:120]
            or "planning that made no plan",
            "cost": r["cost"],
            "attempts": r["attempts"],
        }
        for r in rows.values("plan_id", "plan__title", "plan__goal")
        .annotate(cost=Sum("cost"), attempts=Count("id"))
        .order_by("-cost", "plan_id")
    ]
    return {
        "month": month,
        "spent": holds.team_spent(team.pk, month),
        "budget": team.monthly_budget,
        **summary.as_dict(),
        "by_plan": by_plan,
    }


def team_month_spend(month: str | None = None) -> dict[str, Decimal]:
    """What each team's plans spent this month (or in `month`), by team name."""
    return dict(
        TeamMonthSpend.objects.filter(month=month or holds.this_month())
        .order_by("team__name")
        .values_list("team__name", "spent")
    )
