"""The team's policy: read the version in force, put a new one in force."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, token_of
from plans.api.schemas import RequestBody, Text
from plans.models import PolicyVersion, Scope
from plans.policy import selectors, services
from plans.services import Actor

router = Router(auth=TokenAuth(), tags=["policy"])


class PolicyIn(RequestBody):
    """A new version of the team's policy, made from `base_version` (the version you read; 0
    when the team has none yet). Strings must not contain NUL characters (\\u0000)."""

    base_version: int = Field(ge=0, le=2**31 - 1, description="The version this one replaces.")
    rules: list[Any] = Field(
        description="The ordered rules: {name, when, action, shadow, reason, ...}; see the "
        "README's Policy section."
    )
    permissions: list[Any] = Field(
        default_factory=list, description="Per executor and role: {executor, role, mode}."
    )
    comment: Text = Field("", max_length=2000, description="Why: shown with the version.")


class PolicyOut(Schema):
    version: int = Field(description="The version in force; 0 when the team has no policy.")
    rules: list[dict[str, Any]]
    permissions: list[dict[str, Any]]
    actor: str = Field(description='Who made it: "user:alice", "token:<prefix>".')
    comment: str
    created_at: datetime | None


def _out(current: PolicyVersion | None) -> dict[str, Any]:
    if current is None:
        return {
            "version": 0,
            "rules": [],
            "permissions": [],
            "actor": "",
            "comment": "",
            "created_at": None,
        }
    return {
        "version": current.version,
        "rules": current.document.get("rules", []),
        "permissions": current.document.get("permissions", []),
        "actor": current.actor,
        "comment": current.comment,
        "created_at": current.created_at,
    }


@router.get(
    "",
    response=answers({200: PolicyOut}),
    summary="The team's policy in force",
    auth=needs(Scope.READ),
)
def get_policy(request: HttpRequest) -> dict[str, Any]:
    return _out(selectors.policy_in_force(token_of(request).team))


@router.put(
    "",
    response=answers({200: PolicyOut}),
    summary="Put a new version of the team's policy in force",
    auth=needs(Scope.POLICY_WRITE),
)
def put_policy(request: HttpRequest, payload: PolicyIn) -> dict[str, Any]:
    """A 422 lists every problem with the rules and permissions, each with its path
    (`["body", "rules", 2, "when", "params", "$.url", "matches"]`); a 409 names the version in
    force (`current_version`) when `base_version` is not it. Plans submitted or revised from now
    on are evaluated against the new version."""
    token = token_of(request)
    new = services.policy_change(
        team=token.team,
        actor=Actor.for_token(token),
        base_version=payload.base_version,
        document={"rules": payload.rules, "permissions": payload.permissions},
        comment=payload.comment,
    )
    return _out(new)
