"""The audit export over the API: every decision on the token's team's plans, in a period.

JSON by default, a page at a time with a cursor; JSON Lines and CSV stream every row at once.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import AwareDatetime, BeforeValidator

from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, token_of
from plans.audit import export
from plans.audit.selectors import audit_rows
from plans.models import Scope

MAX_PER_PAGE = 1000

router = Router(auth=TokenAuth(), tags=["audit"])


def _iso_time(value: Any) -> Any:
    # ISO 8601 text only: pydantic alone would also read "0.5" as seconds since 1970.
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError("must be an ISO 8601 time with a time zone, e.g. 2026-01-05T00:00:00Z")
    if parsed.tzinfo is None:
        raise ValueError("must name its time zone, e.g. 2026-01-05T00:00:00Z or +01:00")
    return parsed


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_time)]


class AuditQuery(Schema):
    since: IsoTime | None = Field(
        None,
        description="Decisions at or after this time (ISO 8601 with a time zone, e.g. "
        "2026-01-05T00:00:00Z).",
    )
    until: IsoTime | None = Field(
        None, description="Decisions before this time (ISO 8601 with a time zone)."
    )
    format: Literal["json", "jsonl", "csv"] = Field(
        "json",
        description="json: a page of decisions and the cursor of the next; jsonl (JSON Lines) "
        "and csv: every decision in the period, streamed as a download.",
    )
    cursor: str = Field(
        "", max_length=200, description="json only: `next` of the previous page; empty first."
    )
    limit: int = Field(100, ge=1, le=MAX_PER_PAGE, description="json only: rows per page.")


class DecisionOut(Schema):
    id: int = Field(description="The event's id in the plan's log (or the team's).")
    at: datetime
    plan_id: UUID | None = Field(
        description="The plan; null for a change to the team's settings (policy.changed)."
    )
    plan_title: str
    step_key: str = Field(description="The step (a gate) decided on; empty for the plan.")
    kind: str = Field(description="The event: plan.approved, step.skipped, decision.timed_out...")
    actor: str = Field(description='Who: "user:alice", "token:ab12cd34", "system"...')
    username: str = Field(description="The person's username; empty for tokens and the system.")
    role: str = Field(
        description="The person's role in the team at the time: viewer, reviewer, "
        "admin; empty for tokens and the system."
    )
    source: str = Field(
        description="Through what: browser, token, slack, email, policy, "
        "timeout; empty when not recorded."
    )
    version: int | None = Field(description="The plan version decided on, when the event says.")
    reason: str = Field(description="The reason or comment given with it, if any.")


class AuditPageOut(Schema):
    items: list[DecisionOut]
    next: str | None = Field(description="Pass as `cursor` for the next page; null at the end.")


STREAMED: dict[str, Any] = {
    "responses": {
        200: {
            "description": "format=json: a page (application/json); format=jsonl: one decision "
            "per line (application/x-ndjson); format=csv: a header and one decision per row "
            "(text/csv), columns as DecisionOut's fields.",
            "content": {
                "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/DecisionOut"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }
}


def _cursor(at: datetime, event_id: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{event_id}".encode()).decode()


def _position(cursor: str) -> tuple[datetime, int]:
    try:
        at, _, event_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        position = datetime.fromisoformat(at), int(event_id)
    except (ValueError, binascii.Error, UnicodeError):
        position = None
    if position is None or position[0].tzinfo is None:
        raise ValidationError(
            [
                {
                    "loc": ["query", "cursor"],
                    "msg": "not a cursor this API gave",
                    "type": "value_error",
                }
            ]
        )
    return position


@router.get(
    "",
    response=answers({200: AuditPageOut}),
    summary="Every decision on the team's plans, oldest first",
    openapi_extra=STREAMED,
    auth=needs(Scope.READ),
)
def export_audit(
    request: HttpRequest, query: Query[AuditQuery]
) -> StreamingHttpResponse | dict[str, Any]:
    """Who decided what, when, in what role and through what (browser, token, slack, email,
    policy, timeout): approvals, cancels, requests for changes, revisions, gate decisions,
    skips, retries, plans failed by a reviewer, deadlines timed out, escalated or extended.
    Only this token's team's plans. Ordered by time; `since` and `until` bound the period."""
    if query.since is not None and query.until is not None and query.until <= query.since:
        raise ValidationError(
            [{"loc": ["query", "until"], "msg": "must be after since", "type": "value_error"}]
        )
    team = token_of(request).team
    after = _position(query.cursor) if query.cursor and query.format == "json" else None
    # Decisions on plans and changes to the team's settings (its policy), by time.
    events = audit_rows(team, since=query.since, until=query.until, after=after)
    if query.format != "json":
        name = export.filename(team.name, query.format, since=query.since, until=query.until)
        return export.streaming_export(events, fmt=query.format, name=name)
    rows = list(itertools.islice(events, query.limit + 1))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {
        "items": [row.as_dict() for row in rows],
        "next": _cursor(rows[-1].at, rows[-1].id) if more else None,
    }
