"""Which notifications an event makes, and the JSON body every channel is given."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.urls import reverse

from plans.models import EventKind, NotificationType, Plan, PlanEvent
from plans.states import PlanStatus

# Event kind -> the notification types it makes (plan.revised is handled in types_for).
_TYPES: dict[str, tuple[str, ...]] = {
    EventKind.PLAN_CREATED: (NotificationType.PLAN_WAITING,),
    EventKind.STEP_AWAITING_APPROVAL: (NotificationType.GATE_WAITING,),
    EventKind.DECISION_ESCALATED: (NotificationType.DECISION_ESCALATED,),
    EventKind.DEADLINE_SOON: (NotificationType.DEADLINE_SOON,),
    EventKind.DECISION_TIMED_OUT: (NotificationType.DECISION_TIMED_OUT,),
    EventKind.PLAN_COMPLETED: (NotificationType.PLAN_COMPLETED,),
    EventKind.PLAN_FAILED: (NotificationType.PLAN_FAILED,),
}
ANNOUNCED_KINDS = frozenset({*_TYPES, EventKind.PLAN_REVISED})


def types_for(kind: str, plan_status: str) -> tuple[str, ...]:
    """The notification types an event of `kind` makes, the plan being in `plan_status`."""
    if kind == EventKind.PLAN_REVISED:
        # A revision answers a request for changes: the plan waits for a decision again.
        if plan_status == PlanStatus.DRAFT:
            return (NotificationType.PLAN_REVISED, NotificationType.PLAN_WAITING)
        return (NotificationType.PLAN_REVISED,)
    return _TYPES.get(kind, ())


def plan_url(plan_id: Any) -> str:
    """The absolute address of the plan's page."""
    return settings.PLANGATE_BASE_URL + reverse("plans:detail", args=[plan_id])


def confirm_url(plan_id: Any, action: str, version: int) -> str:
    """The absolute address of the page confirming `action` (approve, cancel) of `version`."""
    path = reverse("plans:confirm", args=[plan_id, action])
    return f"{settings.PLANGATE_BASE_URL}{path}?version={version}"


def build_payload(
    *, delivery_id: UUID, type: str, event: PlanEvent, plan: Plan, steps: int
) -> dict[str, Any]:
    """The message as receivers get it (the README documents it)."""
    return {
        "id": str(delivery_id),
        "type": type,
        "occurred_at": event.created_at.isoformat(),
        "team": plan.team.name,
        "plan": {
            "id": str(plan.pk),
            "title": plan.display_title,
            "goal": plan.goal,
            "status": plan.status,
            "version": plan.version,
            "steps": steps,
            "url": plan_url(plan.pk),
        },
        "step_key": event.step_key,
        "event_id": event.pk,
        "data": event.data,
    }
