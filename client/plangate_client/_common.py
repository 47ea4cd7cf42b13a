"""What the sync and the async client share: paths, bodies, the answers they expect."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from plangate_client.errors import error_for
from plangate_client.types import Event, Until

API_PREFIX = "/api/v1"
# Seconds one long poll asks for; the server may cap it (PLANGATE_WAIT_MAX_SECONDS).
POLL_SECONDS = 30.0
# Tries in a row to resume a stream that dropped before the client gives up.
RECONNECT_ATTEMPTS = 5


def base_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


def checked(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json()
    raise error_for(response)


def wait_params(until: Until, timeout: float) -> dict[str, Any]:
    if until not in ("decision", "end"):
        raise ValueError(f"until must be 'decision' or 'end', not {until!r}")
    return {"for": until, "timeout": max(0.0, timeout)}


def http_timeout(read_seconds: float) -> httpx.Timeout:
    """A read timeout that outlasts a long poll (or a keep-alive interval) by a margin."""
    return httpx.Timeout(10.0, read=read_seconds + 15.0)


def event_of(data: str) -> Event:
    event: Event = json.loads(data)
    return event


def stream_headers(last_id: int) -> dict[str, str]:
    return {"Accept": "text/event-stream", "Last-Event-ID": str(last_id)}


def retryable(exc: BaseException) -> bool:
    """A dropped or refused connection, or a read that timed out: try again."""
    return isinstance(exc, httpx.TransportError)


@dataclass(frozen=True)
class Call:
    """One request of the API, as both clients send it: they differ only in how they wait."""

    method: str
    path: str
    json: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: httpx.Timeout | None = None

    def send_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"json": self.json, "params": self.params}
        kwargs["headers"] = dict(self.headers)
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return kwargs


def submit(plan: Mapping[str, Any], idempotency_key: str | None) -> Call:
    return Call("POST", "/plans", json=plan, headers=idempotency(idempotency_key))


def get(plan_id: str) -> Call:
    return Call("GET", f"/plans/{plan_id}")


def list_plans(limit: int, offset: int, filters: Mapping[str, str]) -> Call:
    return Call("GET", "/plans", params={"limit": limit, "offset": offset, **filters})


def revise(
    plan_id: str, content: Mapping[str, Any], base_version: int, idempotency_key: str | None
) -> Call:
    return Call(
        "POST",
        f"/plans/{plan_id}/revisions",
        json={**content, "base_version": base_version},
        headers=idempotency(idempotency_key),
    )


def approve(plan_id: str, version: int) -> Call:
    return Call("POST", f"/plans/{plan_id}/approve", json={"version": version})


def cancel(plan_id: str, reason: str) -> Call:
    return Call("POST", f"/plans/{plan_id}/cancel", json={"reason": reason})


def events(plan_id: str, after: int, limit: int) -> Call:
    return Call("GET", f"/plans/{plan_id}/events", params={"after": after, "limit": limit})


def wait(plan_id: str, until: Until, timeout: float) -> Call:
    return Call(
        "GET",
        f"/plans/{plan_id}/wait",
        params=wait_params(until, timeout),
        timeout=http_timeout(timeout),
    )


def supply_inputs(plan_id: str, version: int, values: Mapping[str, Any]) -> Call:
    return Call("POST", f"/plans/{plan_id}/inputs", json={"version": version, "values": values})


def propose(
    goal: str,
    user_id: str,
    topic_id: str,
    inputs: Mapping[str, Any] | None,
    actions: list[str] | None,
    instruction: str | None,
) -> Call:
    body: dict[str, Any] = {"goal": goal, "user_id": user_id, "topic_id": topic_id}
    # Left out when not given, so the server's defaults apply.
    if inputs is not None:
        body["inputs"] = inputs
    if actions is not None:
        body["actions"] = actions
    if instruction is not None:
        body["instruction"] = instruction
    # A planner takes its time: as long as a long poll may.
    return Call("POST", "/plans/propose", json=body, timeout=http_timeout(POLL_SECONDS * 4))


def parse_inputs(plan_id: str, message: str) -> Call:
    return Call(
        "POST",
        f"/plans/{plan_id}/inputs/parse",
        json={"message": message},
        timeout=http_timeout(POLL_SECONDS * 4),
    )
