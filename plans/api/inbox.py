"""The inbox over the API: what waits for this token's team (its reviewers' decisions, and the
revisions its integration owes), and batch approval.

Thin: the selector lists, the batch service approves (each item in its own transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema

from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers
from plans.api.schemas import BodyPart, ChangeRequestOut, QuorumOut, RequestBody
from plans.approvals.selectors import Quorum, quorums_for_items
from plans.inbox import selectors
from plans.inbox import services as inbox_services
from plans.models import ApiToken, Scope
from plans.services import Actor
from plans.states import PlanStatus

# The most items one batch approves.
MAX_BATCH = 100

router = Router(auth=TokenAuth(), tags=["inbox"])


def token_of(request: HttpRequest) -> ApiToken:
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)  # noqa: S101 - the router's auth guarantees it
    return token


class InboxLinksOut(Schema):
    plan: str = Field(description="The plan in the API.")
    page: str = Field(description="The plan's page for reviewers (relative URL).")


class InboxItemOut(Schema):
    kind: Literal["draft", "gate", "needs_attention", "changes_requested"] = Field(
        description="draft: a plan to approve (new, or revised when version > 1); gate: a step "
        "awaiting approval in an executing plan; needs_attention: a plan held by a failed step; "
        "changes_requested: a reviewer asked for changes, and the plan waits for the "
        "integration to answer with a revision (not for a reviewer)."
    )
    plan_id: UUID
    plan_title: str
    team: str
    version: int = Field(
        description="The plan's version: approve exactly this one; for changes_requested, the "
        "base_version of the revision that answers the request."
    )
    revised: bool
    step_key: str | None = Field(description="The gated step, for a gate.")
    waiting_since: datetime = Field(
        description="When it started waiting; for changes_requested, when the changes were asked."
    )
    waited_seconds: int
    approvals: QuorumOut | None = Field(
        description="For a draft or a gate: the approvals of this version so far against what it "
        "needs; null for the other kinds."
    )
    change_request: ChangeRequestOut | None = Field(
        description="For changes_requested: what the reviewer asked (comment, step comments), on "
        "which version, who and when; null for the other kinds."
    )
    links: InboxLinksOut


class InboxOut(Schema):
    count: int = Field(description="How many items are listed, of every kind.")
    for_reviewers: int = Field(
        description="Of those, how many wait for a reviewer's decision: drafts, gates, plans that "
        "need attention."
    )
    for_integration: int = Field(
        description="Of those, how many wait for the integration: plans with changes requested."
    )
    items: list[InboxItemOut]


class InboxApprovalIn(BodyPart):
    plan_id: UUID = Field(strict=False)
    step_key: str | None = Field(
        None, max_length=200, description="For a gate: the step to approve; else the plan."
    )
    version: int = Field(ge=1, description="The version you reviewed; a newer one is refused.")


class InboxApproveIn(RequestBody):
    items: list[InboxApprovalIn] = Field(min_length=1, max_length=MAX_BATCH)


class InboxResultOut(Schema):
    plan_id: UUID
    step_key: str | None = Field(description="The gated step, for a gate.")
    version: int = Field(description="The version this item asked to approve.")
    outcome: Literal["approved", "refused"]
    reason: Literal["stale", "state", "not_found"] | None = Field(
        description="Why it was refused: stale (the plan changed since that version), state "
        "(its status does not allow it), not_found (not there, or another team's)."
    )
    detail: str
    status: PlanStatus | None = Field(description="The plan's status now.")
    current_version: int | None = Field(description="The plan's version now.")


class InboxApproveOut(Schema):
    approved: int
    refused: int
    results: list[InboxResultOut]


def _item(item: selectors.InboxItem, now: datetime, quorum: Quorum | None) -> dict[str, Any]:
    request = item.change_request
    return {
        "kind": item.kind,
        "plan_id": item.plan_id,
        "plan_title": item.plan_title,
        "team": item.team,
        "version": item.version,
        "revised": item.revised,
        "step_key": item.step_key or None,
        "waiting_since": item.waiting_since,
        "waited_seconds": int(item.waited(now).total_seconds()),
        "approvals": None
        if quorum is None
        else {
            "required": quorum.required,
            "count": quorum.count,
            "by": list(quorum.by),
            "group": quorum.group,
            "needed": quorum.needed,
        },
        "change_request": None
        if request is None
        else {
            "comment": request.comment,
            "step_comments": request.step_comments,
            "by": request.by,
            "at": request.at,
            "version": request.version,
        },
        "links": {
            "plan": reverse("api:get_plan", kwargs={"plan_id": item.plan_id}),
            "page": reverse("plans:detail", kwargs={"plan_id": item.plan_id}),
        },
    }


@router.get(
    "",
    response=answers({200: InboxOut}),
    summary="What waits for a decision or a revision, oldest first",
    auth=needs(Scope.READ),
)
def list_inbox(request: HttpRequest) -> dict[str, Any]:
    """Draft plans (new and revised), gated steps of executing plans and plans that need
    attention, which wait for the team's reviewers, and plans with changes requested, which wait
    for the integration to answer with a revision (`POST /plans/{id}/revisions`); of this token's
    team, oldest first by when each started waiting."""
    items = selectors.inbox_for_team(token_of(request).team)
    now = timezone.now()
    decided = (selectors.ItemKind.DRAFT, selectors.ItemKind.GATE)
    quorums = quorums_for_items(
        (i.plan_id, i.step_key, i.version) for i in items if i.kind in decided
    )
    for_integration = sum(i.kind == selectors.ItemKind.CHANGES_REQUESTED for i in items)
    return {
        "count": len(items),
        "for_reviewers": len(items) - for_integration,
        "for_integration": for_integration,
        "items": [_item(i, now, quorums.get((str(i.plan_id), i.step_key))) for i in items],
    }


@router.post(
    "/approve",
    response=answers({200: InboxApproveOut}),
    summary="Approve several plans, each as of its own version",
    auth=needs(Scope.DECIDE),
)
def approve_inbox(request: HttpRequest, payload: InboxApproveIn) -> dict[str, Any]:
    """Approve each plan as of the version given for it. Each approval stands alone: an item
    whose plan changed since (`stale`, with `current_version`), or can no longer be approved, is
    refused, and the others go through. Always 200, with one result per item, in order."""
    token = token_of(request)
    results = inbox_services.inbox_approve(
        team_ids=[token.team_id],
        actor=Actor.for_token(token),
        items=[
            inbox_services.Approval(i.plan_id, i.version, i.step_key or "") for i in payload.items
        ],
    )
    return {
        "approved": sum(r.approved for r in results),
        "refused": sum(not r.approved for r in results),
        "results": [
            {
                "plan_id": r.plan_id,
                "step_key": r.step_key or None,
                "version": r.version,
                "outcome": r.outcome,
                "reason": r.reason or None,
                "detail": r.detail,
                "status": r.status or None,
                "current_version": r.current_version,
            }
            for r in results
        ],
    }
