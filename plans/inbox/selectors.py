"""The inbox: everything waiting for a reviewer's decision, oldest first.

Three kinds of item, each with the moment it started waiting:

- a draft plan (new, or revised: version > 1), waiting since it reached its current version (the
  first event naming that version, else its creation);
- a gate, a step `awaiting_approval` in an executing plan, waiting since its
  `step.awaiting_approval` event, else since the last of its dependencies finished, else since
  the plan started;
- a plan that needs attention, waiting since its latest `plan.needs_attention` event.

Plans with changes requested wait for their integration's revision, not for a reviewer: a fourth
kind, `changes_requested`, waiting since the request (its `plan.changes_requested` event) and
carrying it. A team's inbox (what its API tokens read) lists them among the rest; a reviewer's
lists them apart (`waiting_for_agent_for_user`), and the reviewer's count leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from plans.access.selectors import teams_deciding
from plans.discussion.selectors import ChangeRequest, change_request_of
from plans.models import EventKind, Plan, PlanEvent, PlanStep, Team
from plans.selectors import teams_for_user
from plans.states import PlanStatus, StepStatus

# Event kinds the flows that set these statuses write (the names are the contract).
STEP_AWAITING_APPROVAL = "step.awaiting_approval"
PLAN_NEEDS_ATTENTION = "plan.needs_attention"
# The most items one inbox read returns; the count covers them all.
INBOX_LIMIT = 500


class ItemKind:
    DRAFT = "draft"
    GATE = "gate"
    ATTENTION = "needs_attention"
    # Waits for the integration, not for a reviewer: never counted or offered for a decision.
    CHANGES_REQUESTED = "changes_requested"


@dataclass(frozen=True)
class InboxItem:
    kind: str
    plan_id: UUID
    plan_title: str
    team: str
    version: int
    waiting_since: datetime
    step_key: str = ""
    step_title: str = ""
    # For changes_requested: what was asked, on which version, by whom and when.
    change_request: ChangeRequest | None = None

    @property
    def revised(self) -> bool:
        return self.kind == ItemKind.DRAFT and self.version > 1

    @property
    def key(self) -> str:
        """Identifies the item on a page: the plan, and the step for a gate."""
        return f"{self.plan_id}/{self.step_key}" if self.step_key else str(self.plan_id)

    def waited(self, now: datetime | None = None) -> timedelta:
        return max(timedelta(0), (now or timezone.now()) - self.waiting_since)


def _drafts(plans: QuerySet[Plan]) -> Iterable[InboxItem]:
    # The first event naming the plan's current version: its creation (version 1) or the change
    # that raised it (an artifact, a skipped step, a revision).
    reached = (
        PlanEvent.objects.annotate(
            named_version=Cast(KeyTextTransform("version", "data"), IntegerField())
        )
        .filter(plan=OuterRef("pk"), named_version=OuterRef("version"))
        .order_by("id")
        .values("created_at")[:1]
    )
    since = Coalesce(Subquery(reached), F("created_at"))
    return _plans_waiting(ItemKind.DRAFT, plans.filter(status=PlanStatus.DRAFT), since)


def _attention(plans: QuerySet[Plan]) -> Iterable[InboxItem]:
    flagged = (
        PlanEvent.objects.filter(plan=OuterRef("pk"), kind=PLAN_NEEDS_ATTENTION)
        .order_by("-id")
        .values("created_at")[:1]
    )
    since = Coalesce(Subquery(flagged), F("updated_at"))
    waiting = plans.filter(status=PlanStatus.NEEDS_ATTENTION)
    return _plans_waiting(ItemKind.ATTENTION, waiting, since)


def _plans_waiting(kind: str, plans: QuerySet[Plan], since: Any) -> Iterable[InboxItem]:
    """Plans waiting for a decision, longest wait first; `since` dates each one's wait."""
    rows = plans.annotate(since=since).select_related("team").order_by("since")[:INBOX_LIMIT]
    for plan in rows:
        yield InboxItem(
            kind=kind,
            plan_id=plan.pk,
            plan_title=plan.display_title,
            team=plan.team.name,
            version=plan.version,
            waiting_since=plan.since,
        )


def _changes_requested(plans: QuerySet[Plan]) -> list[InboxItem]:
    requested = PlanEvent.objects.filter(
        plan=OuterRef("pk"), kind=EventKind.PLAN_CHANGES_REQUESTED
    ).order_by("-id")
    rows = list(
        plans.filter(status=PlanStatus.CHANGES_REQUESTED)
        .annotate(
            request_id=Subquery(requested.values("id")[:1]),
            since=Coalesce(Subquery(requested.values("created_at")[:1]), F("updated_at")),
        )
        .select_related("team")
        .order_by("since")[:INBOX_LIMIT]
    )
    # The requests themselves in one more query, not one per plan.
    events = PlanEvent.objects.in_bulk([p.request_id for p in rows if p.request_id is not None])
    items = []
    for plan in rows:
        event = events.get(plan.request_id)
        items.append(
            InboxItem(
                kind=ItemKind.CHANGES_REQUESTED,
                plan_id=plan.pk,
                plan_title=plan.display_title,
                team=plan.team.name,
                version=plan.version,
                waiting_since=plan.since,
                change_request=None if event is None else change_request_of(event),
            )
        )
    return items


def _gates(plans: QuerySet[Plan]) -> Iterable[InboxItem]:
    held = (
        PlanEvent.objects.filter(
            plan=OuterRef("plan_id"), kind=STEP_AWAITING_APPROVAL, step_key=OuterRef("key")
        )
        .order_by("-id")
        .values("created_at")[:1]
    )
    # Without the event: the moment its last dependency finished, which is when it became
    # ready and so started waiting; a gate with no dependencies waited from the plan's start.
    last_dependency = (
        PlanStep.objects.filter(dependents=OuterRef("pk"), finished_at__isnull=False)
        .order_by("-finished_at")
        .values("finished_at")[:1]
    )
    rows = (
        PlanStep.objects.filter(
            plan__in=plans.filter(status=PlanStatus.EXECUTING),
            status=StepStatus.AWAITING_APPROVAL,
        )
        .annotate(
            since=Coalesce(
                Subquery(held),
                Subquery(last_dependency),
                F("plan__started_at"),
                F("plan__created_at"),
            )
        )
        .select_related("plan__team")
        .order_by("since")[:INBOX_LIMIT]
    )
    for step in rows:
        yield InboxItem(
            kind=ItemKind.GATE,
            plan_id=step.plan_id,
            plan_title=step.plan.display_title,
            team=step.plan.team.name,
            version=step.plan.version,
            waiting_since=step.since,
            step_key=step.key,
            step_title=step.display_title,
        )


def _oldest_first(items: list[InboxItem]) -> list[InboxItem]:
    items.sort(key=lambda i: (i.waiting_since, str(i.plan_id), i.step_key))
    return items[:INBOX_LIMIT]


def inbox_for_plans(plans: QuerySet[Plan]) -> list[InboxItem]:
    """What waits for a reviewer's decision among `plans` (already filtered to the caller's
    teams)."""
    return _oldest_first([*_drafts(plans), *_gates(plans), *_attention(plans)])


def inbox_for_user(user: Any) -> list[InboxItem]:
    """The reviewer's inbox: items of every team where they decide (reviewer or admin)."""
    # A viewer decides nothing, so nothing waits for them in a team where they only read.
    return inbox_for_plans(Plan.objects.filter(team__in=teams_deciding(user)))


def inbox_for_team(team: Team) -> list[InboxItem]:
    """A team's inbox, as its API tokens see it: what waits for its reviewers, and the plans
    whose changes were requested, which wait for the integration behind the token."""
    plans = Plan.objects.filter(team=team)
    return _oldest_first([*inbox_for_plans(plans), *_changes_requested(plans)])


def inbox_count_for_user(user: Any) -> int:
    """How many items wait for the reviewer: one COUNT over the two lists, for every page."""
    if not user.is_authenticated:
        return 0
    plans = Plan.objects.filter(team__in=teams_deciding(user))
    waiting_plans = plans.filter(status__in=[PlanStatus.DRAFT, PlanStatus.NEEDS_ATTENTION])
    gates = PlanStep.objects.filter(
        plan__in=plans.filter(status=PlanStatus.EXECUTING),
        status=StepStatus.AWAITING_APPROVAL,
    )
    return (
        waiting_plans.order_by()
        .values_list(Value(1))
        .union(gates.order_by().values_list(Value(1)), all=True)
        .count()
    )


def waiting_for_agent_for_user(user: Any) -> list[InboxItem]:
    """Plans of the user's teams with changes requested, oldest request first: they wait for
    their integration's revision, not for the reviewer."""
    return _changes_requested(Plan.objects.filter(team__in=teams_for_user(user)))


def waited_label(waited: timedelta) -> str:
    """ "3 h", "12 min", "2 d": how long an item has waited, roughly."""
    seconds = int(waited.total_seconds())
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
