"""Deadline endpoints: a reviewer extends the deadline of a pending decision."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router

from plans import services
from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, fresh, plan_of, token_of
from plans.api.schemas import PlanOut, RequestBody, Text
from plans.deadlines.services import deadline_extend
from plans.models import Plan, Scope

router = Router(auth=TokenAuth(), tags=["deadlines"])


class ExtendIn(RequestBody):
    """A later deadline: `seconds` more, or `until` a time. Strings must not contain NUL
    characters (\\u0000)."""

    version: int | None = Field(
        None, description="The plan version you saw; a 409 if the plan has moved on since."
    )
    step_key: Text = Field(
        "", max_length=200, description="A gate's key; empty for the plan's own decision."
    )
    seconds: float | None = Field(
        None,
        gt=0,
        le=366 * 24 * 3600,
        description="Seconds added to the deadline (to now, if it has passed already).",
    )
    until: datetime | None = Field(
        None,
        strict=False,  # JSON carries a time as a string
        description="The new deadline: an ISO 8601 time with a time zone, later than now.",
    )
    reason: Text = Field("", max_length=2000, description="Why, for the record.")


@router.post(
    "/{uuid:plan_id}/deadline",
    response=answers({200: PlanOut}),
    summary="Extend the deadline of a pending decision",
    auth=needs(Scope.DECIDE),
)
def extend_deadline(request: HttpRequest, plan_id: UUID, payload: ExtendIn) -> Plan:
    """Give `seconds` or `until` (exactly one: a 422 otherwise, as for an `until` not later
    than the deadline). A 409 naming the plan's (or the gate's) state when no decision with a
    deadline is pending. The reminders and the deadline's timer move with it, and the change is
    recorded as a `deadline.extended` event (old, new, by, reason)."""
    plan = plan_of(request, plan_id)
    deadline_extend(
        plan=plan,
        actor=services.Actor.for_token(token_of(request)),
        step_key=payload.step_key,
        seconds=payload.seconds,
        until=payload.until,
        reason=payload.reason,
        version=payload.version,
    )
    return fresh(plan)
