"""The plans API: thin endpoints that parse, call one service or selector, and answer."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header, Query, Router, Status
from ninja.responses import NinjaJSONEncoder

from executors import registry
from plans import bulk, checkpoints, selectors, services
from plans.api.auth import TokenAuth, needs
from plans.api.schemas import (
    ApproveIn,
    ArtifactBody,
    ArtifactOut,
    CancelIn,
    CircuitOut,
    ConflictOut,
    ErrorOut,
    EventOut,
    EventsQuery,
    PlanFilters,
    PlanIn,
    PlanOut,
    PlanPageOut,
    ProblemsOut,
    SkipIn,
    StepIn,
    TooLargeOut,
)
from plans.api.submitted import submitted_answer, unrun_answer
from plans.models import ApiToken, Plan, PlanEvent, Scope
from plans.validation import StepDraft

MAX_EVENTS_PER_PAGE = 1000
# The error answers every operation declares, with their bodies.
ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ConflictOut,
    413: TooLargeOut,
    422: ProblemsOut,
}
REPLAYED_HEADER = "Idempotent-Replayed"
# A create that takes an Idempotency-Key says so in its 201's headers.
MAY_BE_REPLAYED: dict[str, Any] = {
    "responses": {
        201: {
            "headers": {
                REPLAYED_HEADER: {
                    "description": "`true` when this is the stored answer to an earlier "
                    "request with the same Idempotency-Key and body; absent otherwise.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        }
    }
}


def answers(ok: dict[int, Any]) -> dict[int, Any]:
    """An operation's declared answers: its own, and every error answer."""
    return {**ok, **ERRORS}


router = Router(auth=TokenAuth(), tags=["plans"])
executors_router = Router(auth=TokenAuth(), tags=["executors"])


def token_of(request: HttpRequest) -> ApiToken:
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)  # noqa: S101 - the router's auth guarantees it
    return token


def plan_of(request: HttpRequest, plan_id: UUID) -> Plan:
    return selectors.plan_get_for_team(token_of(request).team, plan_id)


def plan_row_of(request: HttpRequest, plan_id: UUID) -> Plan:
    """The plan's row alone, for an action that loads what it needs of the plan itself: a
    decision on a plan of thousands of steps does not read them all first."""
    return selectors.plan_row_for_team(token_of(request).team, plan_id)


def fresh(plan: Plan) -> Plan:
    return selectors.plan_get_for_team(plan.team, plan.pk)


def render_plan(plan: Plan) -> dict[str, Any]:
    # Encoded as every other response is, so a replay answers the same JSON as the original.
    data = PlanOut.from_orm(fresh(plan)).model_dump()
    return json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def render_submitted(submitted: services.Submitted) -> dict[str, Any]:
    """`render_plan` of a plan just submitted, from its steps as written."""
    data = submitted_answer(submitted.plan.team, submitted)
    return json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def submission_of(payload: PlanIn) -> services.PlanSubmission:
    steps = None
    if payload.steps is not None:
        steps = [step_draft(i, s) for i, s in enumerate(payload.steps)]
    return services.PlanSubmission(
        user_id=payload.user_id,
        topic_id=payload.topic_id,
        goal=payload.goal,
        title=payload.title,
        tags=payload.tags,
        artifacts=[services.ArtifactDraft(**a.dict()) for a in payload.artifacts],
        steps=steps,
        delegation=payload.delegation,
        max_concurrency=payload.max_concurrency,
        on_failure=payload.on_failure,
        decision_deadline=payload.decision_deadline,
        on_timeout=payload.on_timeout,
        required_approvals=payload.required_approvals,
        approver_group=payload.approver_group,
        budget=payload.budget,
        inputs=payload.inputs,
    )


def step_draft(index: int, step: StepIn) -> StepDraft:
    return StepDraft(
        key=step.key,
        title=step.title,
        task=step.task,
        hint=step.hint,
        # A step naming an action takes its executor from it (plans/catalog/compile.py).
        executor=step.executor or ("" if step.action else settings.PLANGATE_DEFAULT_EXECUTOR),
        params=step.params,
        depends_on=step.depends_on,
        max_attempts=step.max_attempts,
        timeout_seconds=step.timeout_seconds,
        for_each=step.for_each,
        approval=step.approval,
        loc=("steps", index),
        on_failure=step.on_failure,
        decision_deadline=step.decision_deadline,
        on_timeout=step.on_timeout,
        guardrails=step.guardrails,
        quality=step.quality,
        recover=step.recover,
        estimated_cost=step.estimated_cost,
        action=step.action or "",
        inputs=step.inputs,
    )


@router.post(
    "",
    response=answers({201: PlanOut}),
    summary="Submit a plan for review",
    openapi_extra=MAY_BE_REPLAYED,
    auth=needs(Scope.SUBMIT),
)
def create_plan(
    request: HttpRequest,
    payload: PlanIn,
    idempotency_key: Header[str | None] = None,
) -> HttpResponse:
    """Create a draft plan from a list of steps or a delegation tree.

    With an `Idempotency-Key` header, repeating the request with the same body returns the
    original response (and creates nothing), marked with the header `Idempotent-Replayed: true`;
    the same key with another body is a 422.
    """
    token = token_of(request)
    actor = services.Actor.for_token(token)
    # A plan of thousands of steps is held as several objects per step until it is answered.
    with bulk.collector_paused():
        submission = submission_of(payload)
        if not idempotency_key:
            submitted = services.plan_submit_written(
                team=token.team, actor=actor, submission=submission
            )
            # Encoded once, as `render_plan` and JsonResponse together would: the same bytes.
            body = json.dumps(submitted_answer(token.team, submitted), cls=NinjaJSONEncoder)
            return HttpResponse(body, status=201, content_type="application/json")
        response, replayed = services.plan_submit_once(
            team=token.team,
            actor=actor,
            submission=submission,
            key=idempotency_key[:200],
            request_hash=body_hash(request),
            render=render_submitted,
        )
        return created(response, replayed=replayed)


def body_hash(request: HttpRequest, *, scope: str = "") -> str:
    """What identifies a request for its Idempotency-Key: the JSON body, however it is spaced or
    ordered, within `scope` (the same body sent for another plan is another request)."""
    canonical = json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{scope}{canonical}".encode()).hexdigest()


def created(response: dict[str, Any], *, replayed: bool) -> JsonResponse:
    """A 201; a replay answers exactly as the first request did, and says that it is one."""
    answer = JsonResponse(response, status=201)
    if replayed:
        answer[REPLAYED_HEADER] = "true"
    return answer


@router.get(
    "",
    response=answers({200: PlanPageOut}),
    summary="List plans, newest first",
    auth=needs(Scope.READ),
)
def list_plans(request: HttpRequest, filters: Query[PlanFilters]) -> dict[str, Any]:
    plans = selectors.plan_list_for_team(
        token_of(request).team,
        status=filters.status or "",
        user_id=filters.user_id,
        topic_id=filters.topic_id,
    )
    page = plans[filters.offset : filters.offset + filters.limit]
    return {
        "count": plans.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": list(page),
    }


@router.get(
    "/{uuid:plan_id}",
    response=answers({200: PlanOut}),
    summary="A plan with its steps and artifacts",
    auth=needs(Scope.READ),
)
def get_plan(request: HttpRequest, plan_id: UUID) -> Plan:
    return plan_of(request, plan_id)


@router.post(
    "/{uuid:plan_id}/approve",
    response=answers({200: PlanOut}),
    summary="Approve the version you reviewed",
    auth=needs(Scope.DECIDE),
)
def approve_plan(request: HttpRequest, plan_id: UUID, payload: ApproveIn) -> Plan | HttpResponse:
    token = token_of(request)
    # The answer is the plan as this approval left it: read before the approval commits, so a
    # worker starting the plan the moment it can does not make it a running plan's answer.
    with transaction.atomic():
        plan = services.plan_approve(
            plan=plan_row_of(request, plan_id),
            actor=services.Actor.for_token(token),
            version=payload.version,
        )
        plan = fresh(plan)
    # So no step has run yet, nearly always (a plan approved again by a second approver may be
    # running): the answer is written out directly, as a submission's is, not validated step by
    # step.
    answer = unrun_answer(plan)
    if answer is None:
        return plan
    return HttpResponse(json.dumps(answer, cls=NinjaJSONEncoder), content_type="application/json")


@router.post(
    "/{uuid:plan_id}/cancel",
    response=answers({200: PlanOut}),
    summary="Cancel a plan that has not ended",
    auth=needs(Scope.DECIDE),
)
def cancel_plan(request: HttpRequest, plan_id: UUID, payload: CancelIn) -> Plan:
    token = token_of(request)
    plan = services.plan_cancel(
        plan=plan_row_of(request, plan_id),
        actor=services.Actor.for_token(token),
        reason=payload.reason,
    )
    return fresh(plan)


@router.post(
    "/{uuid:plan_id}/steps/{key}/skip",
    response=answers({200: PlanOut}),
    summary="Skip a pending step",
    auth=needs(Scope.DECIDE),
)
def skip_step(request: HttpRequest, plan_id: UUID, key: str, payload: SkipIn) -> Plan:
    token = token_of(request)
    plan = plan_of(request, plan_id)
    services.step_skip(
        plan=plan, key=key, actor=services.Actor.for_token(token), reason=payload.reason
    )
    return fresh(plan)


@router.post(
    "/{uuid:plan_id}/artifacts",
    response=answers({201: ArtifactOut}),
    summary="Attach a planning artifact",
    auth=needs(Scope.SUBMIT),
)
def add_artifact(request: HttpRequest, plan_id: UUID, payload: ArtifactBody) -> Status[Any]:
    token = token_of(request)
    artifact = services.artifact_add(
        plan=plan_of(request, plan_id),
        actor=services.Actor.for_token(token),
        draft=services.ArtifactDraft(**payload.dict()),
    )
    return Status(201, artifact)


@router.get(
    "/{uuid:plan_id}/events",
    response=answers({200: list[EventOut]}),
    summary="The plan's event log",
    auth=needs(Scope.READ),
)
def list_events(
    request: HttpRequest,
    plan_id: UUID,
    page: Query[EventsQuery],
) -> list[PlanEvent]:
    """Events with an id greater than `after`, oldest first. Poll with the last id you saw."""
    limit = max(1, min(page.limit, MAX_EVENTS_PER_PAGE))
    return selectors.events_after(plan_row_of(request, plan_id), after=page.after, limit=limit)


@router.get(
    "/{uuid:plan_id}/checkpoint",
    response=answers({200: checkpoints.Checkpoint}),
    summary="A checkpoint of the plan, to restore with import_checkpoint",
    auth=needs(Scope.READ),
)
def get_checkpoint(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    """The plan, its steps (with results and dependencies) and artifacts as one versioned JSON
    document, read in one consistent snapshot. `manage.py import_checkpoint` restores it, here
    or on another installation, and the plan goes on from where it was."""
    # Only the team check here, no prefetching: the checkpoint reads everything itself.
    plan = selectors.plan_list_for_team(token_of(request).team).get(pk=plan_id)
    return JsonResponse(checkpoints.checkpoint_for_plan(plan))


@executors_router.get(
    "",
    response=answers({200: list[CircuitOut]}),
    summary="Registered executors and their circuit breakers",
    auth=needs(Scope.READ),
)
def list_executors(request: HttpRequest) -> list[selectors.Circuit]:
    """Every executor plans may name, by name, with this team's circuit for it: `open` means
    the team's steps of that executor wait (they are not started, nor failed) until
    `open_until`."""
    return selectors.circuits_for(token_of(request).team_id, registry.names())
