"""The one access check every service that changes a plan makes, under the plan's row lock.

Checked inside the services, not in views or endpoints, so every way in (pages, the API, Slack,
email links, the inbox) gets the same answer. Workers, the system, policies and timeouts (actors
without a person or a token) are not checked: they act for the team by design.
"""

from __future__ import annotations

from typing import Any, Protocol

from plans.access.rules import (
    ACTION_ROLE,
    ACTION_SCOPE,
    ACTION_WORDS,
    APPROVALS,
    DECISIONS,
    Action,
    role_allows,
)
from plans.models import ApiToken, Membership, Plan
from plans.states import DomainError


class AccessDenied(DomainError):
    """A person's role, a token's scopes or separation of duties refuses the change. Pages and
    the API answer it with 403; the message names what is missing."""

    def __init__(self, message: str, *, missing: str = "") -> None:
        super().__init__(message)
        # The scope, role or rule that was missing: "plans:decide", "reviewer",
        # "separate_duties".
        self.missing = missing


class ActorLike(Protocol):
    # Read-only: services.Actor is a frozen dataclass.
    @property
    def user(self) -> Any: ...

    @property
    def token(self) -> ApiToken | None: ...

    @property
    def django_admin(self) -> bool: ...


def role_in(team_id: int, user: Any) -> str | None:
    """The user's role in the team, or None if they are not a member."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        Membership.objects.filter(team_id=team_id, user=user).values_list("role", flat=True).first()
    )


def check(*, plan: Plan, actor: ActorLike, action: Action) -> None:
    """Raise AccessDenied unless `actor` may do `action` to `plan`.

    A person needs a role at least ACTION_ROLE[action] in the plan's team (superusers too: the
    pages use the membership role); a token needs ACTION_SCOPE[action] and to act for the plan's
    team; a superuser acting in the Django admin passes. With the team's separate_duties, the
    token (or person) that submitted the plan makes no decision on it, and a person who made a
    revision of it (after the submission) does not approve it. Call it with the plan locked, so
    the plan's revisions cannot change meanwhile.
    """
    if actor.token is not None:
        _check_token(plan, actor.token, action)
    elif actor.django_admin and getattr(actor.user, "is_superuser", False):
        # Superusers keep full access in the Django admin (and only there).
        return
    elif actor.user is not None:
        _check_person(plan, actor.user, action)


def _check_token(plan: Plan, token: ApiToken, action: Action) -> None:
    if token.team_id != plan.team_id:
        raise AccessDenied("this token acts for another team", missing="team")
    scope = ACTION_SCOPE[action]
    if not token.has_scope(scope):
        raise AccessDenied(f"this token lacks the scope {scope.value}", missing=scope.value)
    if plan.team.separate_duties and action in DECISIONS and plan.submitted_by_token_id == token.pk:
        raise AccessDenied(
            "this token submitted the plan; with separation of duties it cannot decide on it",
            missing="separate_duties",
        )


def _check_person(plan: Plan, user: Any, action: Action) -> None:
    name = user.get_username()
    role = role_in(plan.team_id, user)
    needed = ACTION_ROLE[action]
    if role is None:
        raise AccessDenied(f"{name} is not a member of {plan.team.name}", missing=needed.value)
    if not role_allows(role, needed):
        raise AccessDenied(
            f"{name} is a {role} in {plan.team.name}; {ACTION_WORDS[action]} needs {needed.value}",
            missing=needed.value,
        )
    refusal = duty_refusal(plan=plan, user=user, action=action)
    if refusal:
        raise AccessDenied(refusal, missing="separate_duties")


def duty_refusal(*, plan: Plan, user: Any, action: Action) -> str:
    """Why separation of duties keeps `user` from doing `action` to the plan ("" if it does
    not): they submitted it (any decision), or made a revision of it (approving). The plan
    page asks too, to say why before a reviewer tries."""
    if not plan.team.separate_duties:
        return ""
    name = user.get_username()
    if action in DECISIONS and plan.submitted_by_id is not None and plan.submitted_by_id == user.pk:
        return f"{name} submitted the plan; with separation of duties they cannot decide on it"
    if action in APPROVALS:
        revised = (
            plan.revisions.filter(actor_user=user)
            .exclude(version=_first_version(plan))
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        if revised is not None:
            return (
                f"{name} made version {revised} of the plan; with separation of duties they "
                "cannot approve it"
            )
    return ""


def _first_version(plan: Plan) -> int:
    # The submission's revision; a restored plan's first revision may not be 1.
    first = plan.revisions.order_by("version").values_list("version", flat=True).first()
    return first if first is not None else 1
