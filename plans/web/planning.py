"""A plan from a goal, on a page: the planner drafts it (plans/planning/), the reviewer lands on
its page to supply what it lacks and review it. Thin: parse the form, call one service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from plans.access.rules import ROLE_RANK
from plans.models import Membership, Role, Team
from plans.planning.services import PlannerUnavailable, PlanningFailed, Proposal, plan_propose
from plans.services import Actor
from plans.validation import PlanInvalid

TEMPLATE = "plans/plan_propose.html"


def planning_teams(user: Any) -> list[Team]:
    """The teams in which `user` may start plans: those where they review or administer."""
    allowed = [r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role.REVIEWER]]
    return [
        m.team
        for m in Membership.objects.filter(user=user, role__in=allowed)
        .select_related("team")
        .order_by("team__name")
    ]


class ProposeForm(forms.Form):
    team = forms.TypedChoiceField(coerce=int, label="Team")
    goal = forms.CharField(
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Count the words of my report"}),
        help_text="What the plan must achieve. The planner picks actions of the catalog; what "
        "the goal does not say, the plan asks for as inputs.",
    )
    topic_id = forms.CharField(
        max_length=200, initial="web", label="Topic id", help_text="Groups the plan with others."
    )

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {t.pk: t for t in teams}
        team = self.fields["team"]
        assert isinstance(team, forms.ChoiceField)  # noqa: S101 - declared above
        team.choices = [(t.pk, t.name) for t in teams]

    def show(self, exc: PlanInvalid) -> None:
        for problem in exc.problems:
            field = "goal" if problem.loc[:1] == ("goal",) else None
            where = "" if field else f"{problem.path}: "
            self.add_error(field, f"{where}{problem.msg}")


@login_required
@require_http_methods(["GET", "POST"])
def plan_propose_page(request: HttpRequest) -> HttpResponse:
    teams = planning_teams(request.user)
    if request.method == "GET":
        form = ProposeForm(teams=teams)
        return render(request, TEMPLATE, {"form": form, "teams": teams})
    form = ProposeForm(request.POST, teams=teams)
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form, "teams": teams}, status=422)
    try:
        plan = plan_propose(
            team=form.teams[form.cleaned_data["team"]],
            actor=Actor.for_user(request.user),
            proposal=Proposal(
                goal=form.cleaned_data["goal"],
                user_id=request.user.get_username(),
                topic_id=form.cleaned_data["topic_id"],
            ),
        )
    except PlanningFailed as exc:
        form.add_error(None, f"The planner found no valid plan after {exc.repairs} repairs.")
        form.show(exc)
        return render(request, TEMPLATE, {"form": form, "teams": teams}, status=422)
    except PlanInvalid as exc:
        form.show(exc)
        return render(request, TEMPLATE, {"form": form, "teams": teams}, status=422)
    except PlannerUnavailable as exc:
        form.add_error(None, f"{exc}. Try again later.")
        return render(request, TEMPLATE, {"form": form, "teams": teams}, status=503)
    messages.success(request, "Planned: review the draft below, and supply what it lacks.")
    return redirect("plans:detail", plan_id=plan.pk)
