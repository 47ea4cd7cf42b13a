"""The team settings page's Policy section: the admins edit the policy document as JSON, see
every problem against its path, and read the past versions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from plans.access.checks import AccessDenied
from plans.policy import services
from plans.services import Actor
from plans.states import StaleVersion
from plans.validation import PlanInvalid
from plans.web import team as team_page
from plans.web.policy_forms import PolicyForm, policy_context


@login_required
@require_POST
def policy_update(request: HttpRequest, team_id: int) -> HttpResponse:
    try:
        team = team_page._team(request, team_id)
        form = PolicyForm(request.POST)
        if not form.is_valid():
            return team_page._page(request, team, status=422, **policy_context(team, form=form))
        version = services.policy_change(
            team=team,
            actor=Actor.for_user(request.user),
            base_version=form.cleaned_data["base_version"],
            document=form.cleaned_data["document"],
            comment=form.cleaned_data["comment"],
        )
    except AccessDenied as exc:
        return team_page._refused(request, team_id, exc)
    except PlanInvalid as exc:
        problems = [(p.path or "(the document)", p.msg) for p in exc.problems]
        context = policy_context(team, form=form, policy_problems=problems)
        return team_page._page(request, team, status=422, **context)
    except StaleVersion as exc:
        messages.error(
            request,
            f"Not saved: {exc}. The version in force is shown below; your text is kept.",
        )
        return team_page._page(request, team, status=409, **policy_context(team, form=form))
    messages.success(request, f"Policy version {version.version} is in force.")
    return team_page._back(team)
