"""Budget actions on the pages: a reviewer raises the budget of a plan its spending holds (plan
page); an admin sets the team's monthly budget (team settings). Thin: parse the form, call one
service, render the page as views.py and team.py do."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from plans import services
from plans.access.checks import AccessDenied
from plans.access.rules import Action
from plans.budgets import holds
from plans.budgets import services as budgets
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid
from plans.web import team as team_pages
from plans.web.access import may, plan_or_404
from plans.web.views import HtmxHttpRequest, action_done, as_sentence, plan_page

STALE = (
    "The plan changed since you opened it (you saw version {seen}, it is now version "
    "{current}). Look at it again before deciding."
)


class RaiseForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    budget = forms.DecimalField(max_digits=14, decimal_places=4, min_value=0)


class TeamBudgetForm(forms.Form):
    monthly_budget = forms.DecimalField(
        max_digits=14, decimal_places=4, min_value=0, required=False
    )


def _sentence(exc: PlanInvalid) -> str:
    text = " ".join(f"The {p.loc[-1]} {p.msg}".replace("_", " ") for p in exc.problems)
    return f"{text}."


@login_required
@require_POST
@may(Action.RAISE_BUDGET)
def budget_raise(request: HtmxHttpRequest, plan_id: UUID) -> HttpResponse:
    plan = plan_or_404(request, plan_id)
    form = RaiseForm(request.POST)
    box: dict[str, Any] = {"budget": form["budget"].value() or ""}
    if not form.is_valid():
        box["error"] = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return plan_page(request, plan_id, status=422, extra={"budget_box": box})
    seen = form.cleaned_data["version"]
    try:
        tally = budgets.plan_budget_raise(
            plan=plan,
            actor=services.Actor.for_user(request.user),
            version=seen,
            budget=form.cleaned_data["budget"],
        )
    except PlanInvalid as exc:
        box["error"] = _sentence(exc)
        return plan_page(request, plan_id, status=422, extra={"budget_box": box})
    except StaleVersion as exc:
        box["error"] = STALE.format(seen=seen, current=exc.current_version)
        return plan_page(request, plan_id, status=409, extra={"budget_box": box})
    except DomainError as exc:
        return plan_page(request, plan_id, status=409, action_error=as_sentence(exc))
    amount = holds.money(tally.budget)
    if not tally.reached:
        return action_done(
            request,
            plan_id,
            f"Your raise to {amount} is recorded: {tally.count} of {tally.required}.",
        )
    return action_done(request, plan_id, f"Raised the budget to {amount}.")


@login_required
@require_POST
def team_budget_update(request: HttpRequest, team_id: int) -> HttpResponse:
    try:
        team = team_pages._team(request, team_id)
        form = TeamBudgetForm(request.POST)
        value = request.POST.get("monthly_budget", "")
        if not form.is_valid():
            error = " ".join(str(e) for errors in form.errors.values() for e in errors)
            return team_pages._page(
                request, team, status=422, budget_value=value, budget_error=error
            )
        budgets.team_budget_set(
            team=team,
            actor=services.Actor.for_user(request.user),
            monthly_budget=form.cleaned_data["monthly_budget"],
        )
    except AccessDenied as exc:
        return team_pages._refused(request, team_id, exc)
    except PlanInvalid as exc:
        error = _sentence(exc)
        return team_pages._page(request, team, status=422, budget_value=value, budget_error=error)
    messages.success(request, "Saved the team's budget.")
    return team_pages._back(team)
