"""The discussion API: comments on a plan or its steps, and requests for changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import answers, fresh, plan_of, token_of
from plans.api.schemas import NonEmpty, PlanOut, RequestBody, StrictSchema, Text
from plans.discussion import selectors as discussion
from plans.discussion import services as discussion_services
from plans.discussion.services import COMMENT_MAX_LENGTH
from plans.models import Plan, PlanComment, Scope
from plans.services import Actor

router = Router(auth=TokenAuth(), tags=["discussion"])

MAX_COMMENTS_PER_PAGE = 1000
CommentText = Annotated[NonEmpty, StringConstraints(max_length=COMMENT_MAX_LENGTH)]


class RequestChangesIn(RequestBody):
    """Strings must not contain NUL characters (\\u0000)."""

    version: int = Field(description="The plan version the reviewer saw.")
    comment: CommentText = Field(description="What should change (markdown).")
    step_comments: dict[Annotated[Text, StringConstraints(max_length=200)], CommentText] = Field(
        {}, description="What should change in a step, by step key (markdown)."
    )


class CommentIn(RequestBody):
    """Strings must not contain NUL characters (\\u0000)."""

    body: CommentText = Field(description="Markdown; rendered sanitized on the plan page.")
    step_key: Annotated[Text, StringConstraints(max_length=200)] = Field(
        "", description="The step the comment is about; empty for the plan as a whole."
    )


class CommentOut(Schema):
    id: int
    step_key: str = Field(description="The step it is about; empty for the plan.")
    body: str
    kind: str = Field(description='"comment", or "change_request" for a request\'s comments.')
    version: int = Field(description="The plan's version when it was written.")
    by: str = Field(description='Who wrote it: "user:alice" or "token:<prefix>".')
    created_at: datetime

    @staticmethod
    def resolve_by(obj: PlanComment) -> str:
        return obj.actor


class CommentsQuery(StrictSchema):
    after: int = Field(
        0, ge=0, le=2**63 - 1, description="The last comment id you saw; 0 for the first page."
    )
    limit: int = Field(100, ge=1, le=MAX_COMMENTS_PER_PAGE, description="At most this many.")


@router.post(
    "/{uuid:plan_id}/request-changes",
    response=answers({200: PlanOut}),
    summary="Send a draft back with what should change",
    auth=needs(Scope.DECIDE),
)
def request_changes(request: HttpRequest, plan_id: UUID, payload: RequestChangesIn) -> Plan:
    """Moves the draft to `changes_requested`; a new revision makes it a draft again. Bound to
    `version`, like an approval: 409 if the plan changed since. 422 names a step key that is not
    one of the plan's."""
    plan = discussion_services.plan_request_changes(
        plan=plan_of(request, plan_id),
        actor=Actor.for_token(token_of(request)),
        version=payload.version,
        comment=payload.comment,
        step_comments=payload.step_comments,
    )
    return fresh(plan)


@router.post(
    "/{uuid:plan_id}/comments",
    response=answers({201: CommentOut}),
    summary="Comment on the plan or one of its steps",
    auth=needs(Scope.SUBMIT),
)
def add_comment(request: HttpRequest, plan_id: UUID, payload: CommentIn) -> Status[Any]:
    """Allowed in any status; the plan's version stays as it is."""
    comment = discussion_services.comment_add(
        plan=plan_of(request, plan_id),
        actor=Actor.for_token(token_of(request)),
        body=payload.body,
        step_key=payload.step_key,
    )
    return Status(201, comment)


@router.get(
    "/{uuid:plan_id}/comments",
    response=answers({200: list[CommentOut]}),
    summary="The plan's comments, oldest first",
    auth=needs(Scope.READ),
)
def list_comments(
    request: HttpRequest, plan_id: UUID, page: Query[CommentsQuery]
) -> list[PlanComment]:
    """Comments with an id greater than `after`, oldest first, those of requests for changes
    among them."""
    return discussion.comments_for_plan(
        plan_of(request, plan_id), after=page.after, limit=page.limit
    )
