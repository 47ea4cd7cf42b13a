"""Errors that carry what the API said."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class PlangateError(Exception):
    """An answer that is not a success; `status_code`, `detail` and `body` as the API sent them."""

    def __init__(self, status_code: int, detail: Any, body: Any) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.body = body


class Unauthorized(PlangateError):
    """401: no token, or one that is unknown or revoked."""


class Forbidden(PlangateError):
    """403: the token lacks the scope, or a rule (separation of duties, a role) refuses it."""


class NotFound(PlangateError):
    """404: no such plan, or another team's."""


class Conflict(PlangateError):
    """409: the plan's state does not allow it; `status` and `current_version` say where it is."""

    def __init__(self, status_code: int, detail: Any, body: Any) -> None:
        super().__init__(status_code, detail, body)
        body = body if isinstance(body, dict) else {}
        self.status: str | None = body.get("status")
        self.current_version: int | None = body.get("current_version")


@dataclass(frozen=True)
class Problem:
    loc: tuple[str | int, ...]  # the JSON path, e.g. ("body", "steps", 1, "key")
    msg: str
    type: str = ""

    @property
    def path(self) -> str:
        return ".".join(str(part) for part in self.loc)


class ValidationFailed(PlangateError):
    """422: every problem with the request at once, each with its JSON path."""

    def __init__(self, status_code: int, detail: Any, body: Any) -> None:
        self.problems = [
            Problem(tuple(item.get("loc", ())), item.get("msg", ""), item.get("type", ""))
            for item in (detail if isinstance(detail, list) else [])
        ]
        summary = "; ".join(f"{p.path}: {p.msg}" for p in self.problems) or detail
        super().__init__(status_code, detail, body)
        self.args = (f"{status_code}: {summary}",)


class PayloadTooLarge(PlangateError):
    """413: the body is over the server's limit."""


class ServerError(PlangateError):
    """5xx, or an answer that is not JSON."""


class Unavailable(ServerError):
    """503: what the request needs cannot be reached now (the planner, for `propose` and
    `parse_inputs`); `detail` says why. Try again later."""


class StreamBroken(Exception):
    """The event stream could not be resumed after `attempts` tries in a row."""


_BY_STATUS: dict[int, type[PlangateError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ValidationFailed,
    503: Unavailable,
}


def error_for(response: httpx.Response) -> PlangateError:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    detail = body.get("detail") if isinstance(body, dict) else body
    kind = _BY_STATUS.get(response.status_code, ServerError)
    return kind(response.status_code, detail, body)
