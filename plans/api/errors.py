"""How the API answers errors: bad input 422 with every problem's path (the body's and the
plan's own checks in one answer), a body too large 413, a state that moved on 409 (with the plan's
status and version), not there (or not yours) 404."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser

from plans import selectors, services
from plans.api.schemas import PlanIn
from plans.approvals.services import NotAnApprover
from plans.models import ApiToken, Plan, PlanRevision, PlanStep
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid, Problem, StepDraft

# Deepest nesting of arrays and objects in a request body. Far deeper than any plan needs
# (a delegation tree of PLANGATE_MAX_TREE_DEPTH levels is about as deep), and shallow enough
# that nothing that walks a body recursively runs out of stack.
MAX_JSON_DEPTH = 200


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


def _lenient_submission(raw: Any, *, revision: bool = False) -> services.PlanSubmission | None:
    """A submission from a body that did not validate, taking what can be read of it, so the
    plan's own checks can list their problems beside the body's. None if it is no object.
    A revision without a goal keeps the plan's: no problem to report there."""
    if not isinstance(raw, dict):
        return None
    if revision and "goal" not in raw:
        raw = {**raw, "goal": "(the plan's goal)"}

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
        approval=step.get("approval", "none"),
        loc=("steps", index),
    )


def _plan_problems(
    request: HttpRequest, covered: list[list[Any]], *, revision: bool = False
) -> list[dict[str, Any]]:
    """The plan's own problems with a submission (or revision) whose body did not validate,
    except where the body's errors (at `covered`) already point."""
    try:
        submission = _lenient_submission(json.loads(request.body), revision=revision)
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
        if match is not None and match.url_name in {"create_plan", "create_revision"}:
            # One answer lists every problem: the plan's own checks too, not only the body's.
            revision = match.url_name == "create_revision"
            items = _in_body_order(
                items + _plan_problems(request, [i["loc"] for i in items], revision=revision)
            )
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

    @api.exception_handler(NotAnApprover)
    def not_an_approver(request: HttpRequest, exc: NotAnApprover) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=403)

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

    @api.exception_handler(PlanRevision.DoesNotExist)
    def no_revision(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, {"detail": "no such version of this plan"}, status=404)

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
