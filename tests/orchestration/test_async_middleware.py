"""Every middleware can run async, so Django's ASGI handler never runs an `async def` view's
request (a long poll, an event stream) through a thread that waits as long as it does. The
static files and the API's JSON errors still work on that path."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from tests.processes import Server


def test_every_middleware_is_async_capable() -> None:
    sync_only = [
        path
        for path in settings.MIDDLEWARE
        if not getattr(import_string(path), "async_capable", False)
    ]
    assert sync_only == []


def test_static_files_and_api_errors_are_served_on_the_async_path(daphne: Server, db: Any) -> None:
    base = f"http://{daphne.address}"
    script = httpx.get(f"{base}/static/htmx/htmx-2.0.11.min.js", timeout=10)
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]

    unknown = httpx.get(f"{base}/api/v1/no-such-thing", timeout=10)
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "not found"}
