"""Spending and budgets: record what attempts cost, raise a held plan's budget, set a team's
monthly budget.

Recording runs in the engine's finish transaction, under the plan locks it holds. A raise is a
reviewer's decision like an approval: it takes the plan's row lock first, names the version the
reviewer saw, and counts towards the plan's quorum (the same amount from as many different
approvers as the plan needs approvals). Every change writes its event in the same transaction
and is published after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import F

from executors.protocol import Usage
from plans import services
from plans.access.checks import AccessDenied, role_in
from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.approvals import services as approvals
from plans.budgets import holds
from plans.budgets.pricing import cost_of
from plans.budgets.rules import MAX_AMOUNT, amount
from plans.models import EventKind, Plan, PlanEvent, Role, StepUsage, Team, TeamEvent
from plans.states import InvalidTransition, PlanStatus, StaleVersion
from plans.validation import PlanInvalid, Problem


@dataclass(frozen=True)
class Spend:
    """One attempt's usage, as its outcome reported it; a planner's call has no step (and, when
    planning made no plan, no plan)."""

    plan_id: UUID | None
    step_id: int | None
    attempt: int
    usage: Usage


def usage_record(
    *, plans: dict[UUID, Plan], spends: list[Spend], team: Team | None = None
) -> dict[tuple[int | None, int], Any]:
    """Store each attempt's usage with its cost, and add the costs to its plan's `spent` and its
    team's spending this month. Called by the engine with the plans locked, in the transaction
    that records the attempts' outcomes, and by the planner. `team`: the team of spends that
    have no plan. Returns, by (step id, attempt), the usage as the step's event tells it."""
    if not spends:
        return {}
    month = holds.this_month()
    rows = []
    by_plan: dict[UUID, Decimal] = {}
    by_team: dict[int, Decimal] = {}
    notes: dict[tuple[int | None, int], Any] = {}
    for spend in spends:
        plan = plans[spend.plan_id] if spend.plan_id is not None else None
        team_id = plan.team_id if plan is not None else team.pk if team is not None else None
        if team_id is None:
            raise ValueError("a spend without a plan needs the team it counts against")
        cost, source = cost_of(team_id, spend.usage)
        rows.append(
            StepUsage(
                plan_id=spend.plan_id,
                step_id=spend.step_id,
                team_id=team_id,
                attempt=spend.attempt,
                model=spend.usage.model[:200],
                input_tokens=spend.usage.input_tokens,
                output_tokens=spend.usage.output_tokens,
                units=spend.usage.units,
                cost=cost,
                cost_source=source,
                month=month,
            )
        )
        if spend.plan_id is not None:
            by_plan[spend.plan_id] = by_plan.get(spend.plan_id, Decimal(0)) + cost
        by_team[team_id] = by_team.get(team_id, Decimal(0)) + cost
        notes[(spend.step_id, spend.attempt)] = {
            **spend.usage.as_json(),
            "cost": str(cost),
            "cost_source": source,
        }
    StepUsage.objects.bulk_create(rows)
    for plan_id, cost in by_plan.items():
        # The plan row is locked: this sum is the only one being made for it.
        Plan.objects.filter(pk=plan_id).update(spent=F("spent") + cost)
        plans[plan_id].spent += cost
    with connection.cursor() as cursor:
        for team_id, cost in sorted(by_team.items()):
            # One statement: plans of one team finish on several workers at once, under
            # different plan locks, and an increment in the database loses none of their sums.
            cursor.execute(
                "INSERT INTO plans_teammonthspend (team_id, month, spent) VALUES (%s, %s, %s) "
                "ON CONFLICT (team_id, month) "
                "DO UPDATE SET spent = plans_teammonthspend.spent + excluded.spent",
                [team_id, month, cost],
            )
    return notes


def hold_if_spent(plan: Plan, actor: services.Actor) -> bool:
    """Hold an executing plan (called with it locked) whose spending reached its budget or its
    team's, if it has steps left to start. Returns whether it was held."""
    if plan.status != PlanStatus.EXECUTING:
        return False
    reason = holds.reason_now(plan)
    if not reason or not holds.has_steps_to_start(plan):
        return False
    holds.hold(plan, actor, reason, record=services._record)
    return True


@dataclass(frozen=True)
class RaiseTally:
    """Where a raise stands: how many approvers asked for this amount, of how many needed."""

    budget: Decimal
    count: int
    required: int

    @property
    def reached(self) -> bool:
        return self.count >= self.required


@transaction.atomic
def plan_budget_raise(
    *, plan: Plan, actor: services.Actor, version: int, budget: Any
) -> RaiseTally:
    """Raise the budget of a plan its budget holds, as of `version` (the one the reviewer saw).

    With a quorum of n, the raise takes effect once n different approvers asked for the same
    amount at this version; each is recorded (budget.raise_recorded) until then. Once raised,
    the plan resumes unless a failed step still awaits a rescue (workers are woken).

    Raises AccessDenied (role, scope, separation of duties), InvalidTransition unless the plan
    needs attention because of its own budget, StaleVersion when the plan changed since
    `version`, and PlanInvalid (at "budget") for an amount that is not above what was spent.
    """
    # The plan lock first, as everywhere: a worker recording spending, a cancel or a second
    # reviewer's raise waits here and then sees what this one did.
    plan = services._lock(plan)
    access_check(plan=plan, actor=actor, action=Action.RAISE_BUDGET)
    if plan.status != PlanStatus.NEEDS_ATTENTION or not holds.plan_over(plan):
        raise InvalidTransition(
            f"cannot raise the budget: the plan is {plan.status.replace('_', ' ')} and not "
            "held for its budget"
        )
    if version != plan.version:
        raise StaleVersion(
            f"the plan changed since version {version}; look at version {plan.version} "
            "and decide again",
            current_version=plan.version,
        )
    new = amount(budget)
    if new is None or new <= plan.spent:
        raise PlanInvalid(
            [
                Problem(
                    ("budget",),
                    f"must be a number above what the plan spent ({holds.money(plan.spent)}), "
                    f"at most {MAX_AMOUNT}",
                )
            ]
        )
    required = max(plan.required_approvals, 1) if approvals.is_person_or_token(actor) else 1
    votes = set(
        PlanEvent.objects.filter(
            plan=plan,
            kind=EventKind.BUDGET_RAISE_RECORDED,
            data__version=version,
            data__budget=str(new),
        ).values_list("actor", flat=True)
    )
    votes.add(actor.label)
    tally = RaiseTally(budget=new, count=len(votes), required=required)
    if not tally.reached:
        services._record(
            plan,
            EventKind.BUDGET_RAISE_RECORDED,
            actor,
            data={
                "version": version,
                "budget": str(new),
                "old": str(plan.budget),
                "count": tally.count,
                "required": tally.required,
            },
        )
        return tally
    old = plan.budget
    plan.budget = new
    plan.hold_reason = holds.team_reason(plan)
    plan.save(update_fields=["budget", "hold_reason", "updated_at"])
    services._record(
        plan,
        EventKind.PLAN_BUDGET_RAISED,
        actor,
        data={"version": version, "old": str(old), "new": str(new), "votes": sorted(votes)},
    )
    services.resume_if_rescued(plan, actor)
    return tally


@transaction.atomic
def team_budget_set(*, team: Team, actor: services.Actor, monthly_budget: Any) -> Team:
    """Set (None: remove) what the team's plans may spend per calendar month. Plans its
    monthly budget held resume if it no longer does (each under its own lock, workers woken).

    Raises AccessDenied unless the actor is the team's admin (a superuser in the Django admin
    passes) and PlanInvalid (at "monthly_budget") for an amount that is not one.
    """
    superuser = actor.django_admin and getattr(actor.user, "is_superuser", False)
    if not superuser and (actor.user is None or role_in(team.pk, actor.user) != Role.ADMIN):
        raise AccessDenied(
            f"{actor.label} is not an admin of {team.name}; setting its budget needs admin",
            missing="admin",
        )
    new = None if monthly_budget in (None, "") else amount(monthly_budget)
    if monthly_budget not in (None, "") and (new is None or new == 0):
        raise PlanInvalid(
            [Problem(("monthly_budget",), f"must be a number above 0, at most {MAX_AMOUNT}")]
        )
    team = Team.objects.select_for_update().get(pk=team.pk)
    old = team.monthly_budget
    team.monthly_budget = new
    team.save(update_fields=["monthly_budget"])
    TeamEvent.objects.create(
        team=team,
        kind="budget.changed",
        actor=actor.label,
        actor_user=actor.user,
        source=actor.source,
        role=(role_in(team.pk, actor.user) or "") if actor.user is not None else "",
        data={
            "old": None if old is None else str(old),
            "new": None if new is None else str(new),
        },
    )
    team_holds_release(team=team, actor=actor)
    return team


def team_holds_release(*, team: Team, actor: services.Actor) -> int:
    """Resume the team's plans its monthly budget held, if it no longer does (each under its
    own lock; workers are woken). Returns how many resumed."""
    held = Plan.objects.filter(
        team=team,
        status=PlanStatus.NEEDS_ATTENTION,
        hold_reason__startswith=holds.TEAM_REASON,
    ).order_by("pk")
    resumed = 0
    for plan in held:
        locked = services._lock(plan)
        resumed += services.resume_if_rescued(locked, actor)
    return resumed
