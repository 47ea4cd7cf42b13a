"""What every page needs to know about the viewer's roles: which teams' plans they may act on
(pages offer no action elsewhere) and which teams they administer (the header links to their
settings)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from plans.access.rules import may_decide
from plans.models import Membership, Role


def access(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"decides_in": set(), "decides_in_teams": set(), "admin_teams": []}
    rows = list(
        Membership.objects.filter(user=user)
        .order_by("team__name")
        .values_list("team_id", "team__name", "role")
    )
    deciding = [(team_id, name) for team_id, name, role in rows if may_decide(role)]
    return {
        "decides_in": {team_id for team_id, _ in deciding},
        "decides_in_teams": {name for _, name in deciding},
        "admin_teams": [(team_id, name) for team_id, name, role in rows if role == Role.ADMIN],
    }
