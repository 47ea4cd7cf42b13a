"""What a team's admins change: who is in the team and with which role, its API tokens, and its
settings. Team changes, not plan events: nothing is written to a plan's log.

Each takes the acting user and refuses (AccessDenied) unless they are an admin of the team;
member changes lock the team's memberships so that two admins demoting each other at once
cannot leave the team without one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from plans import services
from plans.access.checks import AccessDenied, role_in
from plans.access.rules import parse_scopes
from plans.models import ApiToken, Membership, Role, Team
from plans.states import DomainError
from plans.validation import PlanInvalid, Problem


class LastAdmin(DomainError):
    """The change would leave the team without an admin."""


def _require_admin(team: Team, by: Any) -> None:
    role = role_in(team.pk, by)
    if role != Role.ADMIN:
        name = by.get_username() if by is not None else "nobody"
        held = f"a {role}" if role else "not a member"
        raise AccessDenied(
            f"{name} is {held} in {team.name}; managing the team needs admin", missing="admin"
        )


def _lock_memberships(team: Team) -> list[Membership]:
    # Every member change takes the team's membership rows first: of two admins demoting each
    # other at once, the second sees the first one's change and is refused as the last admin.
    return list(Membership.objects.select_for_update().filter(team=team).order_by("pk"))


def _check_admins_left(members: list[Membership], *, without: int) -> None:
    if not any(m.role == Role.ADMIN and m.pk != without for m in members):
        raise LastAdmin("a team keeps at least one admin; make someone else admin first")


@transaction.atomic
def membership_set_role(*, team: Team, by: Any, membership_id: int, role: str) -> Membership:
    """Give a member another role. Raises AccessDenied unless `by` is the team's admin,
    Membership.DoesNotExist for someone not in the team, PlanInvalid for an unknown role and
    LastAdmin when it would demote the team's last admin."""
    _require_admin(team, by)
    if role not in Role.values:
        raise PlanInvalid([Problem(("role",), f"unknown role {role!r}")])
    members = _lock_memberships(team)
    membership = next((m for m in members if m.pk == membership_id), None)
    if membership is None:
        raise Membership.DoesNotExist(f"no member {membership_id} in {team.name}")
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _check_admins_left(members, without=membership.pk)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_add(*, team: Team, by: Any, username: str, role: str = Role.REVIEWER) -> Membership:
    """Add an existing user to the team by username. Raises AccessDenied unless `by` is the
    team's admin and PlanInvalid for an unknown user or role, or one already in the team."""
    _require_admin(team, by)
    problems = []
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        problems.append(Problem(("username",), f"no user named {username.strip()!r}"))
    if role not in Role.values:
        problems.append(Problem(("role",), f"unknown role {role!r}"))
    if user is not None and Membership.objects.filter(team=team, user=user).exists():
        problems.append(Problem(("username",), f"{username.strip()} is already in {team.name}"))
    if problems or user is None:
        raise PlanInvalid(problems)
    return Membership.objects.create(team=team, user=user, role=role)


@transaction.atomic
def membership_remove(*, team: Team, by: Any, membership_id: int) -> None:
    """Remove a member from the team. Raises AccessDenied unless `by` is the team's admin,
    Membership.DoesNotExist for someone not in it and LastAdmin for its last admin."""
    _require_admin(team, by)
    members = _lock_memberships(team)
    membership = next((m for m in members if m.pk == membership_id), None)
    if membership is None:
        raise Membership.DoesNotExist(f"no member {membership_id} in {team.name}")
    if membership.role == Role.ADMIN:
        _check_admins_left(members, without=membership.pk)
    membership.delete()


def team_token_create(
    *, team: Team, by: Any, name: str, scopes: list[str], agent_role: str = ""
) -> tuple[ApiToken, str]:
    """Create a token for the team with these scopes (and the agent role the team's policy
    permissions match it by). Returns the token and its secret, which is never stored: show it
    once. Raises AccessDenied unless `by` is the team's admin and PlanInvalid for no scope or an
    unknown one."""
    _require_admin(team, by)
    try:
        chosen = parse_scopes(scopes)
    except ValueError as exc:
        raise PlanInvalid([Problem(("scopes",), str(exc))]) from None
    if not chosen:
        raise PlanInvalid([Problem(("scopes",), "choose at least one scope")])
    token, secret = services.token_create(
        team=team, name=name.strip(), created_by=by, scopes=chosen
    )
    if agent_role.strip():
        token.agent_role = agent_role.strip()
        token.save(update_fields=["agent_role"])
    return token, secret


def team_token_revoke(*, team: Team, by: Any, token_id: int) -> None:
    """Revoke one of the team's tokens. Raises AccessDenied unless `by` is the team's admin and
    ApiToken.DoesNotExist for another team's token."""
    _require_admin(team, by)
    services.token_revoke(token=ApiToken.objects.get(team=team, pk=token_id))


@transaction.atomic
def team_settings_update(
    *, team: Team, by: Any, separate_duties: bool, required_approvals: int, max_required: int
) -> Team:
    """Change the team's rules. Raises AccessDenied unless `by` is the team's admin and
    PlanInvalid when the approvals asked for are out of range."""
    _require_admin(team, by)
    problems = []
    if max_required < 1:
        problems.append(Problem(("max_required_approvals",), "must be at least 1"))
    if required_approvals < 1:
        problems.append(Problem(("required_approvals",), "must be at least 1"))
    elif required_approvals > max_required:
        problems.append(
            Problem(
                ("required_approvals",),
                f"must be at most the team's maximum ({max_required})",
            )
        )
    if problems:
        raise PlanInvalid(problems)
    team = Team.objects.select_for_update().get(pk=team.pk)
    team.separate_duties = separate_duties
    team.required_approvals = required_approvals
    team.max_required_approvals = max_required
    team.save(update_fields=["separate_duties", "required_approvals", "max_required_approvals"])
    return team
