"""Every answer under /api/ is JSON, also those Django or the router give before or after the
API's own error handlers: unknown paths (404), wrong methods (405), server errors (500)."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"
MESSAGES = {
    404: "not found",
    405: "method not allowed",
    500: "internal server error",
}


class ApiJsonErrors:
    """Turns an error answer under /api/ that is not JSON into `{"detail": "..."}`.

    The original body is dropped: Django's error pages (and a debug traceback) are for people
    in a browser, not integrations, and must not leak to them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        detail = MESSAGES.get(status) or _phrase(status)
        # Sorted: the router collects the methods in a set, in no stable order.
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m))
        if allowed:
            detail = f"{detail}; allowed: {allowed}"
        answer = JsonResponse({"detail": detail}, status=status)
        if allowed:
            answer["Allow"] = allowed
        return answer


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"
