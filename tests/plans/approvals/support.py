"""Teams with several reviewers and approver groups, for quorum tests."""

from __future__ import annotations

from typing import Any

from plans import services
from plans.models import ApproverGroup, Role, Team
from tests.factories import UserFactory


def person(team: Team, username: str, role: str = Role.REVIEWER) -> Any:
    user = UserFactory(username=username)
    team.members.add(user, through_defaults={"role": role})
    return user


def group(team: Team, name: str, *members: Any) -> ApproverGroup:
    found = ApproverGroup.objects.create(team=team, name=name)
    found.members.add(*members)
    return found


def by(user: Any) -> services.Actor:
    return services.Actor.for_user(user)
