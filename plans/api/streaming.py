"""Following a plan without polling: its events as Server-Sent Events, and a long-poll wait for
a decision or the end. Both are `async def`: a waiting client costs the server a coroutine, not
a busy thread or a database connection (plans/streaming/)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.errors import ValidationError
from ninja.responses import NinjaJSONEncoder

from plans import selectors
from plans.api.auth import TokenAuth, needs_async
from plans.api.endpoints import answers, token_of
from plans.api.schemas import PlanOut
from plans.models import Scope
from plans.streaming import follow, reads

router = Router(auth=TokenAuth(), tags=["plans"])

# A client that lost its connection tries again after this long (the SSE `retry:` field).
RECONNECT_MILLISECONDS = 1000
SSE_ANSWER: dict[str, Any] = {
    "responses": {
        200: {
            "description": "Server-Sent Events, one per plan event: `id:` the event id, "
            "`event:` its kind, `data:` the event as JSON (as `GET /plans/{plan_id}/events` "
            "gives it). Lines starting with `:` keep an idle connection open. Once the plan has "
            "ended and its last event was sent, a final `event: end` (no `id:`) carries "
            '`{"status", "version", "last_event_id"}` and the stream closes; a stream that '
            "closes without it was cut short: reconnect with `Last-Event-ID`.",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "description": "One message of the stream.",
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "description": "The event's id."},
                            "event": {"type": "string", "description": "Its kind, or `end`."},
                            "data": {"type": "string", "description": "The event as JSON."},
                        },
                    }
                }
            },
        }
    }
}


class StreamQuery(Schema):
    after: int = Field(
        0,
        ge=0,
        le=2**63 - 1,
        description="Send the events after this id (the `Last-Event-ID` header wins).",
    )


class WaitQuery(Schema):
    until: follow.Until = Field(
        follow.Until.DECISION,
        alias="for",
        description="`decision`: until the plan is no longer a draft (approved, changes "
        "requested, cancelled, or further). `end`: until it has completed, failed or been "
        "cancelled.",
    )
    timeout: float = Field(
        30,
        ge=0,
        le=86400,
        description="Seconds to wait at most; capped at the server's PLANGATE_WAIT_MAX_SECONDS.",
    )


class WaitOut(Schema):
    done: bool = Field(description="True when the plan got there; false when the time ran out.")
    waited_for: follow.Until
    status: str
    version: int
    waited_seconds: float
    plan: PlanOut


@router.get(
    "/{uuid:plan_id}/events/stream",
    response=answers({}),
    summary="The plan's events as Server-Sent Events, live",
    openapi_extra=SSE_ANSWER,
    auth=needs_async(Scope.READ),
)
async def stream_events(
    request: HttpRequest,
    plan_id: UUID,
    query: Query[StreamQuery],
    last_event_id: str | None = Header(None, alias="Last-Event-ID"),
) -> StreamingHttpResponse:
    """Every event of the plan after `after` (or the `Last-Event-ID` header), oldest first, then
    each new one as it is written, until the plan has ended. A client that reconnects with the
    last id it received gets every event it missed, once."""
    team_id = token_of(request).team_id
    after = _resume_from(last_event_id, query.after)
    # The team check before the answer starts, so another team's plan is a plain 404.
    await reads.off_loop(reads.plan_state)(team_id=team_id, plan_id=plan_id)
    items = follow.follow(
        team_id=team_id,
        plan_id=plan_id,
        after=after,
        keepalive_seconds=settings.PLANGATE_STREAM_KEEPALIVE_SECONDS,
        max_seconds=settings.PLANGATE_STREAM_MAX_SECONDS,
    )
    response = StreamingHttpResponse(_sse(items, after), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    # Tells nginx and the like to pass each event on at once instead of buffering.
    response["X-Accel-Buffering"] = "no"
    return response


def _resume_from(header: str | None, after: int) -> int:
    if header is None or header == "":
        return after
    try:
        value = int(header)
    except ValueError:
        value = -1
    if not 0 <= value < 2**63:
        raise ValidationError(
            [
                {
                    "loc": ["header", "Last-Event-ID"],
                    "msg": "must be an event id (a whole number)",
                    "type": "value_error",
                }
            ]
        )
    return value


async def _sse(items: AsyncIterator[follow.Item], after: int) -> AsyncIterator[str]:
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    async for item in items:
        if isinstance(item, follow.KeepAlive):
            yield ": keep-alive\n\n"
        elif isinstance(item, follow.End):
            end = {"status": item.state.status, "version": item.state.version}
            yield f"event: end\ndata: {json.dumps({**end, 'last_event_id': after})}\n\n"
        else:
            after = item["id"]
            data = json.dumps(item, cls=DjangoJSONEncoder)
            yield f"id: {item['id']}\nevent: {item['kind']}\ndata: {data}\n\n"


@router.get(
    "/{uuid:plan_id}/wait",
    response=answers({200: WaitOut}),
    summary="Wait for a decision or the end (long poll)",
    auth=needs_async(Scope.READ),
)
async def wait_for_plan(request: HttpRequest, plan_id: UUID, query: Query[WaitQuery]) -> Any:
    """Answers as soon as the plan is decided (`for=decision`) or has ended (`for=end`), or
    after `timeout` seconds with `done: false`; either way with the plan as it is then."""
    token = token_of(request)
    timeout = min(query.timeout, settings.PLANGATE_WAIT_MAX_SECONDS)
    result = await follow.wait_for(
        team_id=token.team_id, plan_id=plan_id, until=query.until, timeout=timeout
    )
    plan = await reads.off_loop(_render_plan)(token.team, plan_id)
    return JsonResponse(
        {
            "done": result.done,
            "waited_for": query.until.value,
            # The plan's, as rendered: it may have moved on since the wait ended.
            "status": plan["status"],
            "version": plan["version"],
            "waited_seconds": round(result.waited_seconds, 3),
            "plan": plan,
        },
        encoder=NinjaJSONEncoder,
    )


def _render_plan(team: Any, plan_id: UUID) -> dict[str, Any]:
    plan = selectors.plan_get_for_team(team, plan_id)
    data: dict[str, Any] = json.loads(
        json.dumps(PlanOut.from_orm(plan).model_dump(), cls=NinjaJSONEncoder)
    )
    return data
