"""Changing a team's policy: a new version of its rules and permissions, recorded as a team
event for the audit."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from executors import registry
from plans.access.checks import AccessDenied, role_in
from plans.access.rules import ACTION_ROLE, ACTION_SCOPE, ACTION_WORDS, Action, role_allows
from plans.models import PolicyVersion, Team, TeamEvent
from plans.policy import rules
from plans.policy.evaluation import policy_in_force
from plans.services import Actor
from plans.states import StaleVersion
from plans.validation import PlanInvalid

POLICY_CHANGED = "policy.changed"


def policy_check(*, team: Team, actor: Actor) -> str:
    """Raise AccessDenied unless `actor` may change the team's policy: an admin of the team, a
    token of the team with policy:write, or a superuser in the Django admin. Returns the
    person's role ("" for others)."""
    action = Action.CHANGE_POLICY
    if actor.token is not None:
        scope = ACTION_SCOPE[action]
        if actor.token.team_id != team.pk:
            raise AccessDenied("this token acts for another team", missing="team")
        if not actor.token.has_scope(scope):
            raise AccessDenied(f"this token lacks the scope {scope.value}", missing=scope.value)
        return ""
    role = role_in(team.pk, actor.user) or ""
    if actor.django_admin and getattr(actor.user, "is_superuser", False):
        return role
    needed = ACTION_ROLE[action]
    if not role_allows(role or None, needed):
        name = actor.user.get_username() if actor.user is not None else "nobody"
        held = f"a {role}" if role else "not a member"
        raise AccessDenied(
            f"{name} is {held} in {team.name}; {ACTION_WORDS[action]} needs {needed.value}",
            missing=needed.value,
        )
    return role


def policy_problems(team: Team, document: Any) -> list[Any]:
    """Every problem with a policy document for this team (its approver groups, whether it lets
    deadlines approve, the executors registered)."""
    return rules.problems(
        document,
        groups=list(team.approver_groups.values_list("name", flat=True)),
        allow_approve_on_timeout=team.allow_approve_on_timeout,
        executors=registry.names(),
    )


@transaction.atomic
def policy_change(
    *, team: Team, actor: Actor, base_version: int, document: Any, comment: str = ""
) -> PolicyVersion:
    """Put a new version of the team's policy in force, written with a `policy.changed` team
    event (the version, and the names of the rules added, removed and changed).

    Raises AccessDenied (see policy_check), StaleVersion naming the version in force when
    `base_version` is not it (0: the team has none yet), and PlanInvalid listing every problem
    with the document, each with its path.
    """
    # Lock the team row: of two changes on the same base version, the second waits, then sees
    # the first one's version and is refused as stale instead of writing the same number.
    team = Team.objects.select_for_update().get(pk=team.pk)
    role = policy_check(team=team, actor=actor)
    current = policy_in_force(team)
    current_version = current.version if current is not None else 0
    if base_version != current_version:
        raise StaleVersion(
            f"the policy is at version {current_version}, not {base_version}; "
            f"read version {current_version} and change that one",
            current_version=current_version,
        )
    problems = policy_problems(team, document)
    if problems:
        raise PlanInvalid(problems)
    document = {
        "rules": document.get("rules", []),
        "permissions": document.get("permissions", []),
    }
    new = PolicyVersion.objects.create(
        team=team,
        version=current_version + 1,
        document=document,
        actor=actor.label,
        actor_user=actor.user,
        comment=comment.strip(),
    )
    before = rules.rule_names(current.document if current is not None else {})
    after = rules.rule_names(document)
    before_permissions = current.document.get("permissions", []) if current is not None else []
    TeamEvent.objects.create(
        team=team,
        kind=POLICY_CHANGED,
        actor=actor.label,
        actor_user=actor.user,
        source=actor.source,
        role=role,
        data={
            "version": new.version,
            "added": [n for n in after if n not in before],
            "removed": [n for n in before if n not in after],
            "changed": [n for n in after if n in before and before[n] != after[n]],
            "permissions_changed": before_permissions != document["permissions"],
            "comment": new.comment,
        },
    )
    return new
