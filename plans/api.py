"""The plans API: thin endpoints that parse, call one service or selector, and answer."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header, NinjaAPI, Query, Router, Status
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer

from executors import registry
from plans import checkpoints, circuits, selectors, services, tokens
from plans.models import ApiToken, Plan, PlanEvent, PlanStep
from plans.schemas import (
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
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid, Problem, StepDraft

MAX_EVENTS_PER_PAGE = 1000
# Deepest nesting of arrays and objects in a request body. Far deeper than any plan needs
# (a delegation tree of PLANGATE_MAX_TREE_DEPTH levels is about as deep), and shallow enough
# that nothing that walks a body recursively runs out of stack.
MAX_JSON_DEPTH = 200

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


def answers(ok: dict[int, Any]) -> dict[int, Any]:
    """An operation's declared answers: its own, and every error answer."""
    return {**ok, **ERRORS}


class BodyTooDeep(ValueError):
    """A request body nested deeper than MAX_JSON_DEPTH."""


class JsonParser(Parser):
    """Parses JSON bodies, refusing nesting deeper than MAX_JSON_DEPTH with its own error."""

    def parse_body(self, request: HttpRequest) -> Any:
        body = request.body
        # Only a body with that many brackets can be that deep; counting them is cheap, walking
        # the parsed body is not, so most bodies are just parsed.
        if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
            return json.loads(body)
        try:
            data = json.loads(body)
        except RecursionError:
            raise BodyTooDeep from None
        if _deeper_than(data, MAX_JSON_DEPTH):
            raise BodyTooDeep
        return data


def _deeper_than(data: Any, limit: int) -> bool:
    # Iterative: the point is not to recurse on whatever depth arrived.
    todo = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            todo.extend((item, depth + 1) for item in items)
    return False


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return tokens.authenticate(token)


router = Router(auth=TokenAuth(), tags=["plans"])
executors_router = Router(auth=TokenAuth(), tags=["executors"])


def _token(request: HttpRequest) -> ApiToken:
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)  # noqa: S101 - the router's auth guarantees it
    return token


def _plan(request: HttpRequest, plan_id: UUID) -> Plan:
    return selectors.plan_get_for_team(_token(request).team, plan_id)


def _fresh(plan: Plan) -> Plan:
    return selectors.plan_get_for_team(plan.team, plan.pk)


def _render(plan: Plan) -> dict[str, Any]:
    # Encoded as every other response is, so a replayed response is byte-for-byte the original.
    data = PlanOut.from_orm(_fresh(plan)).model_dump()
    return json.loads(json.dumps(data, cls=NinjaJSONEncoder))


def _submission(payload: PlanIn) -> services.PlanSubmission:
    steps = None
    if payload.steps is not None:
        steps = [_step_draft(i, s) for i, s in enumerate(payload.steps)]
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
    )


def _step_draft(index: int, step: StepIn) -> StepDraft:
    return StepDraft(
        key=step.key,
        title=step.title,
        task=step.task,
        hint=step.hint,
        executor=step.executor or settings.PLANGATE_DEFAULT_EXECUTOR,
        params=step.params,
        depends_on=step.depends_on,
        max_attempts=step.max_attempts,
        timeout_seconds=step.timeout_seconds,
        for_each=step.for_each,
        loc=("steps", index),
    )


@router.post(
    "",
    response=answers({201: PlanOut}),
    summary="Submit a plan for review",
    openapi_extra={
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
    },
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
    token = _token(request)
    actor = services.Actor.for_token(token)
    submission = _submission(payload)
    if not idempotency_key:
        plan = services.plan_submit(team=token.team, actor=actor, submission=submission)
        return JsonResponse(_render(plan), status=201)
    body_hash = hashlib.sha256(
        json.dumps(json.loads(request.body), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    response, replayed = services.plan_submit_once(
        team=token.team,
        actor=actor,
        submission=submission,
        key=idempotency_key[:200],
        request_hash=body_hash,
        render=_render,
    )
    # A replay answers exactly as the first request did, and says that it is one.
    answer = JsonResponse(response, status=201)
    if replayed:
        answer[REPLAYED_HEADER] = "true"
    return answer


@router.get("", response=answers({200: PlanPageOut}), summary="List plans, newest first")
def list_plans(request: HttpRequest, filters: Query[PlanFilters]) -> dict[str, Any]:
    plans = selectors.plan_list_for_team(
        _token(request).team,
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
)
def get_plan(request: HttpRequest, plan_id: UUID) -> Plan:
    return _plan(request, plan_id)


@router.post(
    "/{uuid:plan_id}/approve",
    response=answers({200: PlanOut}),
    summary="Approve the version you reviewed",
)
def approve_plan(request: HttpRequest, plan_id: UUID, payload: ApproveIn) -> Plan:
    token = _token(request)
    plan = services.plan_approve(
        plan=_plan(request, plan_id), actor=services.Actor.for_token(token), version=payload.version
    )
    return _fresh(plan)


@router.post(
    "/{uuid:plan_id}/cancel",
    response=answers({200: PlanOut}),
    summary="Cancel a plan that has not ended",
)
def cancel_plan(request: HttpRequest, plan_id: UUID, payload: CancelIn) -> Plan:
    token = _token(request)
    plan = services.plan_cancel(
        plan=_plan(request, plan_id), actor=services.Actor.for_token(token), reason=payload.reason
    )
    return _fresh(plan)


@router.post(
    "/{uuid:plan_id}/steps/{key}/skip",
    response=answers({200: PlanOut}),
    summary="Skip a pending step",
)
def skip_step(request: HttpRequest, plan_id: UUID, key: str, payload: SkipIn) -> Plan:
    token = _token(request)
    plan = _plan(request, plan_id)
    services.step_skip(
        plan=plan, key=key, actor=services.Actor.for_token(token), reason=payload.reason
    )
    return _fresh(plan)


@router.post(
    "/{uuid:plan_id}/artifacts",
    response=answers({201: ArtifactOut}),
    summary="Attach a planning artifact",
)
def add_artifact(request: HttpRequest, plan_id: UUID, payload: ArtifactBody) -> Status[Any]:
    token = _token(request)
    artifact = services.artifact_add(
        plan=_plan(request, plan_id),
        actor=services.Actor.for_token(token),
        draft=services.ArtifactDraft(**payload.dict()),
    )
    return Status(201, artifact)


@router.get(
    "/{uuid:plan_id}/events",
    response=answers({200: list[EventOut]}),
    summary="The plan's event log",
)
def list_events(
    request: HttpRequest,
    plan_id: UUID,
    page: Query[EventsQuery],
) -> list[PlanEvent]:
    """Events with an id greater than `after`, oldest first. Poll with the last id you saw."""
    limit = max(1, min(page.limit, MAX_EVENTS_PER_PAGE))
    return selectors.events_after(_plan(request, plan_id), after=page.after, limit=limit)


@router.get(
    "/{uuid:plan_id}/checkpoint",
    response=answers({200: checkpoints.Checkpoint}),
    summary="A checkpoint of the plan, to restore with import_checkpoint",
)
def get_checkpoint(request: HttpRequest, plan_id: UUID) -> HttpResponse:
    """The plan, its steps (with results and dependencies) and artifacts as one versioned JSON
    document, read in one consistent snapshot. `manage.py import_checkpoint` restores it, here
    or on another installation, and the plan goes on from where it was."""
    # Only the team check here, no prefetching: the checkpoint reads everything itself.
    plan = selectors.plan_list_for_team(_token(request).team).get(pk=plan_id)
    return JsonResponse(checkpoints.checkpoint_for_plan(plan))


@executors_router.get(
    "",
    response=answers({200: list[CircuitOut]}),
    summary="Registered executors and their circuit breakers",
)
def list_executors(request: HttpRequest) -> list[circuits.Circuit]:
    """Every executor plans may name, by name, with this team's circuit for it: `open` means
    the team's steps of that executor wait (they are not started, nor failed) until
    `open_until`."""
    return circuits.circuits_for(_token(request).team_id, registry.names())


def _lenient_submission(raw: Any) -> services.PlanSubmission | None:
    """A submission from a body that did not validate, taking what can be read of it, so the
    plan's own checks can list their problems beside the body's. None if it is no object."""
    if not isinstance(raw, dict):
        return None

    def text(value: Any) -> str:
        return value if isinstance(value, str) else ""

    steps = raw.get("steps")
    drafts = None
    if isinstance(steps, list):
        drafts = [_lenient_step(i, step) for i, step in enumerate(steps)]
    elif steps is not None:
        # There, but no list: the body's own error says so; here it counts as given.
        drafts = []
    return services.PlanSubmission(
        user_id=text(raw.get("user_id")),
        topic_id=text(raw.get("topic_id")),
        goal=text(raw.get("goal")),
        steps=drafts,
        delegation=raw.get("delegation"),
    )


def _lenient_step(index: int, raw: Any) -> StepDraft:
    step = raw if isinstance(raw, dict) else {}
    executor = step.get("executor")
    depends_on = step.get("depends_on")
    for_each = step.get("for_each")
    return StepDraft(
        key=step["key"] if isinstance(step.get("key"), str) else "",
        task=step["task"] if isinstance(step.get("task"), str) else "",
        executor=executor if isinstance(executor, str) else settings.PLANGATE_DEFAULT_EXECUTOR,
        params=step["params"] if isinstance(step.get("params"), dict) else {},
        depends_on=[
            d if isinstance(d, str) else ""
            for d in (depends_on if isinstance(depends_on, list) else [])
        ],
        for_each=for_each if isinstance(for_each, dict) else None,
        loc=("steps", index),
    )


def _plan_problems(request: HttpRequest, covered: list[list[Any]]) -> list[dict[str, Any]]:
    """The plan's own problems with a submission whose body did not validate, except where the
    body's errors (at `covered`) already point."""
    try:
        submission = _lenient_submission(json.loads(request.body))
    except ValueError:
        return []
    if submission is None:
        return []
    try:
        services.prepare_steps(submission)
    except PlanInvalid as exc:
        problems: list[Problem] = exc.problems
    else:
        return []
    # A body-wide error (["body"]) covers nothing in particular.
    specific = [loc for loc in covered if len(loc) > 1]
    return [
        _problem(p)
        for p in problems
        if not any(["body", *p.loc][: len(loc)] == loc for loc in specific)
    ]


def _problem(problem: Problem) -> dict[str, Any]:
    return {"loc": ["body", *problem.loc], "msg": problem.msg, "type": "value_error"}


def _in_body_order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Problems in the order of the plan's fields (goal, ..., steps), whichever check found them.
    order = {name: i for i, name in enumerate(PlanIn.model_fields)}
    return sorted(
        items,
        key=lambda item: order.get(item["loc"][1], len(order)) if len(item["loc"]) > 1 else -1,
    )


def install_error_handlers(api: NinjaAPI) -> None:
    """Map errors to JSON answers: bad input 422 (every problem with its path), body too large
    413, state 409 (with the plan's status and version), not found 404."""
    api.parser = JsonParser()

    def problems(request: HttpRequest, items: list[dict[str, Any]]) -> HttpResponse:
        return api.create_response(request, {"detail": items}, status=422)

    @api.exception_handler(ValidationError)
    def invalid_body(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        # Paths point into the JSON body as sent: ["body", "steps", 0, "key"], without the name
        # of the Python parameter the body is bound to.
        items = []
        for error in exc.errors:
            loc = list(error.get("loc", []))
            if loc[:2] == ["body", "payload"]:
                loc = ["body", *loc[2:]]
            items.append({"loc": loc, "msg": error.get("msg", ""), "type": error.get("type", "")})
        match = request.resolver_match
        if match is not None and match.url_name == "create_plan":
            # One answer lists every problem: the plan's own checks too, not only the body's.
            items = _in_body_order(items + _plan_problems(request, [i["loc"] for i in items]))
        return problems(request, items)

    @api.exception_handler(PlanInvalid)
    def plan_invalid(request: HttpRequest, exc: PlanInvalid) -> HttpResponse:
        return problems(request, [_problem(p) for p in exc.problems])

    @api.exception_handler(services.IdempotencyConflict)
    def idempotency_conflict(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problems(
            request,
            [{"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "value_error"}],
        )

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return api.create_response(
            request,
            {"detail": f"request body exceeds the limit of {limit} bytes", "max_bytes": limit},
            status=413,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, BodyTooDeep):
            msg = (
                f"body is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects"
            )
            return problems(request, [{"loc": ["body"], "msg": msg, "type": "json_too_deep"}])
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # Malformed JSON is bad input like any other: a 422 with the same shape.
            return problems(
                request,
                [{"loc": ["body"], "msg": "body is not valid JSON", "type": "json_invalid"}],
            )
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

    @api.exception_handler(DomainError)
    def conflict(request: HttpRequest, exc: DomainError) -> HttpResponse:
        # The state as it is now, after the refused change rolled back: what the caller must
        # look at before trying again.
        status, version = _current_state(request)
        if isinstance(exc, StaleVersion):
            version = exc.current_version
        return api.create_response(
            request,
            {"detail": str(exc), "status": status, "current_version": version},
            status=409,
        )

    @api.exception_handler(Plan.DoesNotExist)
    def no_plan(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, {"detail": "plan not found"}, status=404)

    @api.exception_handler(PlanStep.DoesNotExist)
    def no_step(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, {"detail": "no step with that key in this plan"}, status=404
        )


def _current_state(request: HttpRequest) -> tuple[str | None, int | None]:
    match = request.resolver_match
    plan_id = match.kwargs.get("plan_id") if match is not None else None
    token = getattr(request, "auth", None)
    if plan_id is None or not isinstance(token, ApiToken):
        return None, None
    row = (
        selectors.plan_list_for_team(token.team)
        .filter(pk=plan_id)
        .values_list("status", "version")
        .first()
    )
    return row if row is not None else (None, None)
