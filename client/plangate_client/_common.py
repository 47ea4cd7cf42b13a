"""What the sync and the async client share: paths, bodies, the answers they expect."""

from __future__ import annotations

import json
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
