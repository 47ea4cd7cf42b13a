"""Reads of a plan's discussion: its comments and its latest request for changes.

The plan given is already one the caller may see (read through plans.selectors' team filters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

from plans.models import EventKind, Plan, PlanComment, PlanEvent


@dataclass(frozen=True)
class ChangeRequest:
    """The latest request for changes: what the reviewer asked, on which version, who and when."""

    comment: str
    by: str
    at: datetime
    version: int
    step_comments: dict[str, str] = field(default_factory=dict)


def comments_for_plan(plan: Plan, *, after: int = 0, limit: int | None = None) -> list[PlanComment]:
    """The plan's comments with an id greater than `after`, oldest first."""
    comments: QuerySet[PlanComment] = PlanComment.objects.filter(plan=plan, pk__gt=after).order_by(
        "id"
    )
    return list(comments[:limit] if limit is not None else comments)


def latest_change_request(plan: Plan) -> ChangeRequest | None:
    """The plan's latest request for changes, from its event, or None if there was none."""
    event = (
        PlanEvent.objects.filter(plan=plan, kind=EventKind.PLAN_CHANGES_REQUESTED)
        .order_by("-id")
        .first()
    )
    return None if event is None else change_request_of(event)


def change_request_of(event: PlanEvent) -> ChangeRequest:
    """The request for changes a `plan.changes_requested` event records."""
    data = event.data
    return ChangeRequest(
        comment=str(data.get("comment", "")),
        by=event.actor,
        at=event.created_at,
        version=int(data.get("version", 0)),
        step_comments=dict(data.get("step_comments") or {}),
    )
