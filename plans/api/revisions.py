"""Revisions and diffs: every version of a plan, replacing its content, and what changed."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Header, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import ConfigDict

from plans.api.auth import TokenAuth, needs
from plans.api.endpoints import (
    MAY_BE_REPLAYED,
    answers,
    body_hash,
    created,
    plan_of,
    step_draft,
    token_of,
)
from plans.api.schemas import RequestBody, StepIn, Text
from plans.models import PlanRevision, Scope
from plans.revisions import selectors, services
from plans.revisions.diff import PlanDiff
from plans.services import Actor

router = Router(auth=TokenAuth(), tags=["revisions"])


class RevisionIn(RequestBody):
    """A new version of the plan's content, made from `base_version` (the version you read):
    exactly one of `steps` or `delegation`, checked as a submission is. `title`, `goal` and
    `inputs` keep the plan's when omitted (a delegation tree brings its own goal). Strings
    anywhere in it must not contain NUL characters (\\u0000)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["steps"], "properties": {"steps": {"type": "array"}}},
                {"required": ["delegation"], "properties": {"delegation": {"type": "object"}}},
            ]
        },
    )

    base_version: int = Field(ge=1, le=2**31 - 1, description="The version this revision replaces.")
    steps: list[StepIn] | None = None
    delegation: dict[str, Any] | None = Field(None, description="A delegation tree: {goal, plan}.")
    title: Text | None = Field(None, max_length=300)
    goal: Text | None = None
    comment: Text = Field("", max_length=2000, description="Why: shown with the revision.")
    inputs: dict[str, Any] | None = Field(
        None,
        description='The plan inputs: values of the steps\' {"$input": "<name>"} bindings, '
        "checked as at submission; they replace the plan's inputs. The plan's inputs are kept "
        "if omitted.",
    )


class RevisionSummaryOut(Schema):
    version: int
    content_hash: str = Field(description="sha256 of the content as canonical JSON.")
    actor: str
    comment: str
    created_at: Any


class RevisionOut(RevisionSummaryOut):
    content: dict[str, Any] = Field(
        description="title, goal, delegation, steps (everything that says what runs), artifacts."
    )
    policy: dict[str, Any] | None = Field(
        None,
        description="What the team's policy decided about this version: {version, matched: "
        "[{rule, kind, action, shadow, reason, steps, why, options, applied, overridden, "
        "effect}]}; null when it was not evaluated (an artifact added, a step skipped).",
    )


class ValueChangeOut(Schema):
    old: Any
    new: Any


class PathChangeOut(Schema):
    path: list[str | int] = Field(description='Where inside the field: ["headers", "Accept"].')
    old: Any
    new: Any
    kind: str = Field(description="changed, added or removed.")


class FieldChangeOut(Schema):
    field: str
    old: Any
    new: Any
    changes: list[PathChangeOut] = Field(
        description="For params, context and for_each: each value that changed inside."
    )


class StepChangeOut(Schema):
    key: str
    fields: list[FieldChangeOut]


class StepsDiffOut(Schema):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[StepChangeOut]


class ArtifactsDiffOut(Schema):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]


class DiffOut(Schema):
    from_version: int
    to_version: int
    title: ValueChangeOut | None
    goal: ValueChangeOut | None
    delegation_changed: bool
    inputs: list[PathChangeOut] = Field(
        description="Each plan input added, removed or changed, its name first in the path: "
        '{"path": ["city"], "old": "Oslo", "new": "Bergen", "kind": "changed"}.'
    )
    steps: StepsDiffOut
    artifacts: ArtifactsDiffOut


class DiffQuery(Schema):
    from_: int = Field(alias="from", ge=1, le=2**31 - 1, description="The older version.")
    to: int = Field(ge=1, le=2**31 - 1, description="The newer version.")


def _render(revision: PlanRevision) -> dict[str, Any]:
    # Encoded as every response is, so a replay answers the same JSON as the original.
    data = RevisionOut.from_orm(revision).model_dump()
    return json.loads(json.dumps(data, cls=NinjaJSONEncoder))


# Registered before the list: the path's URL takes this operation's name, which the 422
# handler looks for to add the plan's own checks to the body's.
@router.post(
    "/{uuid:plan_id}/revisions",
    response=answers({201: RevisionOut}),
    summary="Replace the plan's content with a new revision",
    openapi_extra=MAY_BE_REPLAYED,
    auth=needs(Scope.SUBMIT),
)
def create_revision(
    request: HttpRequest,
    plan_id: UUID,
    payload: RevisionIn,
    idempotency_key: Header[str | None] = None,
) -> HttpResponse:
    """While the plan is a draft or has changes requested: replace its steps (or delegation
    tree), title, goal and plan inputs, as version `base_version + 1`; the plan becomes a draft
    to approve again. 409 if `base_version` is not the plan's version or the plan is past
    review; 422 with every problem, as for a submission. `Idempotency-Key` works as for a
    submission."""
    plan = plan_of(request, plan_id)
    actor = Actor.for_token(token_of(request))
    steps = None
    if payload.steps is not None:
        steps = [step_draft(i, s) for i, s in enumerate(payload.steps)]
    draft = services.RevisionDraft(
        base_version=payload.base_version,
        steps=steps,
        delegation=payload.delegation,
        title=payload.title,
        goal=payload.goal,
        comment=payload.comment,
        inputs=payload.inputs,
    )
    if not idempotency_key:
        revision = services.plan_revise(plan=plan, actor=actor, draft=draft)
        return JsonResponse(_render(revision), status=201)
    response, replayed = services.plan_revise_once(
        plan=plan,
        actor=actor,
        draft=draft,
        key=idempotency_key[:200],
        request_hash=body_hash(request, scope=f"revise:{plan.pk}:"),
        render=_render,
    )
    return created(response, replayed=replayed)


@router.get(
    "/{uuid:plan_id}/revisions",
    response=answers({200: list[RevisionSummaryOut]}),
    summary="The plan's revisions, newest first",
    auth=needs(Scope.READ),
)
def list_revisions(request: HttpRequest, plan_id: UUID) -> Any:
    """Every version the plan has had, newest first: who made it, when and why."""
    return list(selectors.revisions_for(plan_of(request, plan_id)))


@router.get(
    "/{uuid:plan_id}/revisions/{int:version}",
    response=answers({200: RevisionOut}),
    summary="One version of the plan's content",
    auth=needs(Scope.READ),
)
def get_revision(request: HttpRequest, plan_id: UUID, version: int) -> Any:
    return selectors.revision_get(plan_of(request, plan_id), version)


@router.get(
    "/{uuid:plan_id}/diff",
    response=answers({200: DiffOut}),
    summary="What changed between two versions",
    auth=needs(Scope.READ),
)
def get_diff(request: HttpRequest, plan_id: UUID, query: Query[DiffQuery]) -> dict[str, Any]:
    """Steps added, removed and changed (each changed field; inside params, context and
    for_each each changed value with its path), artifacts added and removed, title, goal, the
    plan inputs (each changed value with its path) and whether the delegation tree changed.
    404 if either version is unknown."""
    diff = selectors.plan_diff(plan_of(request, plan_id), query.from_, query.to)
    return diff_body(diff)


def diff_body(diff: PlanDiff) -> dict[str, Any]:
    def value(change: Any) -> dict[str, Any] | None:
        return None if change is None else {"old": change.old, "new": change.new}

    return {
        "from_version": diff.from_version,
        "to_version": diff.to_version,
        "title": value(diff.title),
        "goal": value(diff.goal),
        "delegation_changed": diff.delegation_changed,
        "inputs": [vars(c) for c in diff.inputs],
        "steps": {
            "added": diff.steps_added,
            "removed": diff.steps_removed,
            "changed": [
                {
                    "key": s.key,
                    "fields": [
                        {
                            "field": f.field,
                            "old": f.old,
                            "new": f.new,
                            "changes": [vars(c) for c in f.changes],
                        }
                        for f in s.fields
                    ],
                }
                for s in diff.steps_changed
            ],
        },
        "artifacts": {"added": diff.artifacts_added, "removed": diff.artifacts_removed},
    }
