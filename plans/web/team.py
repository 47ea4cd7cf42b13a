"""The team settings page, for the team's admins: members and their roles, API tokens and their
scopes, and the team's rules. Another team's page is a 404, a member who is no admin gets 403.

Every change is a plain form post that redirects back here, except creating a token: its secret
is shown on the page that answers the post, once, and is never stored, put in the session or in
a message (those travel with later requests and end up in logs).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from plans.access import selectors, services
from plans.access.checks import AccessDenied
from plans.access.services import LastAdmin
from plans.models import ApiToken, Membership, Team
from plans.validation import PlanInvalid
from plans.web.access import forbidden
from plans.web.policy_forms import policy_context
from plans.web.team_forms import AddMemberForm, RoleForm, RulesForm, TokenForm

TEMPLATE = "plans/team_settings.html"


def _team(request: HttpRequest, team_id: int) -> Team:
    """The team, if the user administers it. Raises Http404 for a team they are not in and
    AccessDenied for one they are in but do not administer."""
    try:
        team, admin = selectors.team_for_admin(request.user, team_id)
    except Team.DoesNotExist:
        raise Http404("No such team.") from None
    if not admin:
        raise AccessDenied(
            f"{request.user.get_username()} is not an admin of {team.name}; "
            "its settings are for its admins",
            missing="admin",
        )
    return team


def _page(request: HttpRequest, team: Team, *, status: int = 200, **extra: Any) -> HttpResponse:
    context: dict[str, Any] = {
        "team": team,
        "members": [
            (m, RoleForm(initial={"role": m.role})) for m in selectors.memberships_of(team)
        ],
        "tokens": list(selectors.tokens_of(team)),
        "add_form": AddMemberForm(),
        "token_form": TokenForm(),
        "rules_form": RulesForm(
            initial={
                "separate_duties": team.separate_duties,
                "required_approvals": team.required_approvals,
                "max_required_approvals": team.max_required_approvals,
            }
        ),
        **extra,
    }
    if "policy_form" not in context:
        # The Policy section (plans/web/policy.py).
        context |= policy_context(team)
    return render(request, TEMPLATE, context, status=status)


def _back(team: Team) -> HttpResponse:
    return redirect("plans:team_settings", team_id=team.pk)


def _refused(request: HttpRequest, team_id: int, exc: AccessDenied) -> HttpResponse:
    return forbidden(request, str(exc), back=reverse("plans:list"))


@never_cache
@login_required
@require_GET
def team_settings(request: HttpRequest, team_id: int) -> HttpResponse:
    try:
        team = _team(request, team_id)
    except AccessDenied as exc:
        return _refused(request, team_id, exc)
    return _page(request, team)


@login_required
@require_POST
def member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    try:
        team = _team(request, team_id)
        form = AddMemberForm(request.POST)
        if not form.is_valid():
            return _page(request, team, status=422, add_form=form)
        services.membership_add(
            team=team,
            by=request.user,
            username=form.cleaned_data["username"],
            role=form.cleaned_data["role"],
        )
    except AccessDenied as exc:
        return _refused(request, team_id, exc)
    except PlanInvalid as exc:
        for problem in exc.problems:
            form.add_error(str(problem.loc[0]), problem.msg)
        return _page(request, team, status=422, add_form=form)
    data = form.cleaned_data
    messages.success(request, f"Added {data['username']} as {data['role']}.")
    return _back(team)


@login_required
@require_POST
def member_role(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    try:
        team = _team(request, team_id)
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a role.")
            return _back(team)
        membership = services.membership_set_role(
            team=team, by=request.user, membership_id=membership_id, role=form.cleaned_data["role"]
        )
    except AccessDenied as exc:
        return _refused(request, team_id, exc)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None
    except LastAdmin as exc:
        messages.error(request, f"Role not changed: {exc}.")
        return _page(request, team, status=409)
    messages.success(request, f"{membership.user.get_username()} is now {membership.role}.")
    return _back(team)


@login_required
@require_POST
def member_remove(request: HttpRequest, team_id: int, membership_id: int) -> HttpResponse:
    try:
        team = _team(request, team_id)
        services.membership_remove(team=team, by=request.user, membership_id=membership_id)
    except AccessDenied as exc:
        return _refused(request, team_id, exc)
    except Membership.DoesNotExist:
        raise Http404("No such member.") from None
    except LastAdmin as exc:
        messages.error(request, f"Not removed: {exc}.")
        return _page(request, team, status=409)
    messages.success(request, "Removed the member.")
    return _back(team)


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest, team_id: int) -> HttpResponse:
    try:
        team = _team(request, team_id)
        form = TokenForm(request.POST)
        if not form.is_valid():
            return _page(request, team, status=422, token_form=form)
        token, secret = services.team_token_create(
            team=team,
            by=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            agent_role=form.cleaned_data["agent_role"],
        )
    except AccessDenied as exc:
        return _refused(request, team_id, exc)
    except PlanInvalid as exc:
        for problem in exc.problems:
            form.add_error("scopes", problem.msg)
        return _page(request, team, status=422, token_form=form)
    # Rendered, not redirected: the secret exists only in this response.
    return _page(request, team, status=201, new_token=token, new_secret=secret)


@login_required
@require_POST
def token_revoke(request: HttpRequest, team_id: int, token_id: int) -> HttpResponse:
    try:
        team = _team(request, team_id)
        services.team_token_revoke(team=team, by=request.user, token_id=token_id)
    except AccessDenied as exc:
        return _refused(request, team_id, exc)
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
    messages.success(request, "Revoked the token; requests carrying it are refused from now on.")
    return _back(team)


@login_required
@require_POST
def rules_update(request: HttpRequest, team_id: int) -> HttpResponse:
    try:
        team = _team(request, team_id)
        form = RulesForm(request.POST)
        if not form.is_valid():
            return _page(request, team, status=422, rules_form=form)
        services.team_settings_update(
            team=team,
            by=request.user,
            separate_duties=form.cleaned_data["separate_duties"],
            required_approvals=form.cleaned_data["required_approvals"],
            max_required=form.cleaned_data["max_required_approvals"],
        )
    except AccessDenied as exc:
        return _refused(request, team_id, exc)
    except PlanInvalid as exc:
        for problem in exc.problems:
            form.add_error(str(problem.loc[0]), problem.msg)
        return _page(request, team, status=422, rules_form=form)
    messages.success(request, "Saved the team's rules.")
    return _back(team)
