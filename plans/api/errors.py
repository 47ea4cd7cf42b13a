"""How the API answers errors: bad input 422 with every problem's path, a state that moved on 409,
not there (or not yours) 404."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from plans import services
from plans.models import Plan, PlanStep
from plans.states import DomainError, StaleVersion
from plans.validation import PlanInvalid


def install_error_handlers(api: NinjaAPI) -> None:
    """Map domain errors to HTTP: bad input 422 (every problem with its path), state 409, 404."""

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
        return problems(request, items)

    @api.exception_handler(PlanInvalid)
    def plan_invalid(request: HttpRequest, exc: PlanInvalid) -> HttpResponse:
        return problems(
            request,
            [{"loc": ["body", *p.loc], "msg": p.msg, "type": "value_error"} for p in exc.problems],
        )

    @api.exception_handler(services.IdempotencyConflict)
    def idempotency_conflict(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problems(
            request,
            [{"loc": ["header", "Idempotency-Key"], "msg": str(exc), "type": "value_error"}],
        )

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return problems(
            request,
            [
                {
                    "loc": ["body"],
                    "msg": f"request body exceeds the limit of {limit} bytes",
                    "type": "value_error",
                }
            ],
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            # Malformed JSON is bad input like any other: a 422 with the same shape.
            return problems(
                request,
                [{"loc": ["body"], "msg": "body is not valid JSON", "type": "json_invalid"}],
            )
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

    @api.exception_handler(StaleVersion)
    def stale(request: HttpRequest, exc: StaleVersion) -> HttpResponse:
        return api.create_response(
            request, {"detail": str(exc), "current_version": exc.current_version}, status=409
        )

    @api.exception_handler(DomainError)
    def conflict(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc)}, status=409)

    @api.exception_handler(Plan.DoesNotExist)
    def no_plan(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, {"detail": "plan not found"}, status=404)

    @api.exception_handler(PlanStep.DoesNotExist)
    def no_step(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, {"detail": "no step with that key in this plan"}, status=404
        )
