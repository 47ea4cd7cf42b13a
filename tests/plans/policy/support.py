"""Putting a policy in force for a test, as a policy:write token would."""

from __future__ import annotations

from typing import Any

from plans import services
from plans.models import PolicyVersion, Scope, Team
from plans.policy.services import policy_change


def put_policy(
    team: Team, rules: list[dict[str, Any]], permissions: list[dict[str, Any]] | None = None
) -> PolicyVersion:
    token, _ = services.token_create(team=team, name="policy", scopes=[Scope.POLICY_WRITE.value])
    current = PolicyVersion.objects.filter(team=team).order_by("-version").first()
    return policy_change(
        team=team,
        actor=services.Actor.for_token(token),
        base_version=current.version if current is not None else 0,
        document={"rules": rules, "permissions": permissions or []},
    )


def rule(
    name: str, action: str, when: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    return {"name": name, "when": when or {}, "action": action, **fields}


def decision(plan: Any) -> dict[str, Any]:
    """What the policy decided about the plan's newest version."""
    return plan.revisions.order_by("-version").first().policy


def matched(plan: Any) -> dict[str, dict[str, Any]]:
    return {m["rule"]: m for m in decision(plan)["matched"]}
