"""Which subscriptions hear of an event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from plans.models import ApproverGroup, Membership, Plan, PlanEvent, PlanStep, Subscription


def active_subscriptions(plan_ids: Iterable[Any]) -> dict[int, list[Subscription]]:
    """The enabled, not disabled subscriptions of the teams of these plans, by team: one query,
    which for a team with none (most teams) is all that announcing its plans' events costs."""
    found: dict[int, list[Subscription]] = defaultdict(list)
    for sub in (
        Subscription.objects.filter(
            team__plans__pk__in=set(plan_ids), enabled=True, disabled_at=None
        )
        .select_related("approver_group")
        .distinct()
        .order_by("pk")
    ):
        found[sub.team_id].append(sub)
    return found


class Audience:
    """Answers "does this subscription want this notification" for a batch of events, reading
    groups and memberships at most once each."""

    def __init__(self) -> None:
        self._group_members: dict[int, set[Any]] = {}
        self._members: dict[int, set[Any]] = {}
        self._step_groups: dict[tuple[Any, str], int | None] = {}

    def wants(self, sub: Subscription, type: str, event: PlanEvent, plan: Plan) -> bool:
        if sub.types and type not in sub.types:
            return False
        if sub.approver_group_id is None and sub.user_id is None:
            return True
        group = self._deciding_group(event, plan)
        if sub.approver_group_id is not None:
            named = event.data.get("group") if isinstance(event.data, dict) else None
            if group != sub.approver_group_id and not (
                sub.approver_group is not None and named == sub.approver_group.name
            ):
                return False
        if sub.user_id is not None:
            # Not about what they did themselves, and only while they are in the team.
            if event.actor_user_id == sub.user_id:
                return False
            if sub.user_id not in self._team_members(plan.team_id):
                return False
            if group is not None and sub.approver_group_id is None:
                return sub.user_id in self._members_of(group)
        return True

    def _deciding_group(self, event: PlanEvent, plan: Plan) -> int | None:
        """The approver group deciding what the event is about: the gate's, else the plan's."""
        if event.step_key:
            key = (plan.pk, event.step_key)
            if key not in self._step_groups:
                self._step_groups[key] = (
                    PlanStep.objects.filter(plan_id=plan.pk, key=event.step_key)
                    .values_list("approval_group_id", flat=True)
                    .first()
                )
            if self._step_groups[key] is not None:
                return self._step_groups[key]
        return plan.approver_group_id

    def _members_of(self, group_id: int) -> set[Any]:
        if group_id not in self._group_members:
            self._group_members[group_id] = set(
                ApproverGroup.members.through.objects.filter(approvergroup_id=group_id).values_list(
                    "user_id", flat=True
                )
            )
        return self._group_members[group_id]

    def _team_members(self, team_id: int) -> set[Any]:
        if team_id not in self._members:
            self._members[team_id] = set(
                Membership.objects.filter(team_id=team_id).values_list("user_id", flat=True)
            )
        return self._members[team_id]
