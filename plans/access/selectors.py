"""Reads about who may do what, for pages and the settings page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from plans.access.rules import ROLE_RANK
from plans.models import ApiToken, Membership, Role, Team


def team_ids_with_role(user: Any, least: str) -> set[int]:
    """The teams in which the user has at least the role `least`."""
    if user is None or not user.is_authenticated:
        return set()
    roles = [r for r, rank in ROLE_RANK.items() if rank >= ROLE_RANK[least]]
    return set(
        Membership.objects.filter(user=user, role__in=roles).values_list("team_id", flat=True)
    )


def teams_deciding(user: Any) -> QuerySet[Team]:
    """The teams in which the user decides (reviewer or admin): what waits there waits for them."""
    if user is None or not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(
        memberships__user=user, memberships__role__in=[Role.REVIEWER, Role.ADMIN]
    )


def teams_administered(user: Any) -> QuerySet[Team]:
    if user is None or not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user, memberships__role=Role.ADMIN)


def team_for_admin(user: Any, team_id: int) -> tuple[Team, bool]:
    """The team and whether the user administers it. Raises Team.DoesNotExist unless they are
    a member (another team's settings look like no team at all)."""
    team = Team.objects.filter(members=user).distinct().get(pk=team_id)
    role = Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()
    return team, role == Role.ADMIN


def memberships_of(team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__username")


def tokens_of(team: Team) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(team=team, revoked_at=None).order_by("-created_at")
