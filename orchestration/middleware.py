"""Every answer under /api/ is JSON, also those Django or the router give before or after the
API's own error handlers: unknown paths (404), wrong methods (405), server errors (500), and
the redirect to a path with its trailing slash."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse
from whitenoise.middleware import WhiteNoiseMiddleware

API_PREFIX = "/api/"
MESSAGES = {
    404: "not found",
    405: "method not allowed",
    500: "internal server error",
}


class ApiJsonErrors:
    """Turns an answer under /api/ (or to /api itself) that is a redirect or an error and is not
    JSON into `{"detail": "..."}`; a redirect keeps its Location.

    The original body is dropped: Django's error pages (and a debug traceback) are for people
    in a browser, not integrations, and must not leak to them.
    """

    # Both, so that an async view (the long waits) is not run through a thread of its own.
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        return self._as_json(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        return self._as_json(request, await self.get_response(request))

    def _as_json(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            not (request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/"))
            or response.status_code < 300
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        detail = MESSAGES.get(status) or _phrase(status)
        if location := response.get("Location"):
            detail = f"{detail}: {location}"
        # Sorted: the router collects the methods in a set, in no stable order.
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m))
        if allowed:
            detail = f"{detail}; allowed: {allowed}"
        answer = JsonResponse({"detail": detail}, status=status)
        if allowed:
            answer["Allow"] = allowed
        if location:
            answer["Location"] = location
        return answer


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"


class StaticFiles(WhiteNoiseMiddleware):
    """WhiteNoise, also in an async middleware chain.

    WhiteNoise's middleware is sync only; Django then runs every request's whole inner chain in
    a thread, and an `async def` view that waits (the long polls, the event streams) would hold
    that thread for as long as it waits. Finding a static file is a dict lookup; serving it
    opens the file, which is quick.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any], *args: Any, **kw: Any) -> None:
        super().__init__(get_response, *args, **kw)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request: HttpRequest) -> Any:
        if self.autorefresh:
            static_file = self.find_file(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return self.serve(static_file, request)
        return await self.get_response(request)
