"""Tracing set up for a test: spans go to memory, one at a time, and tracing is turned back off
(to be decided from the settings again) afterwards."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from executors import registry
from orchestration.telemetry import tracing


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure(exporter, batch=False, service="plangate-test")
    # A fresh look at the plan-end events, as a worker starting now would take.
    tracing.plan_spans = tracing.PlanSpans()
    yield exporter
    tracing.reset()


@pytest.fixture
def test_executors(settings: Any) -> Iterator[None]:
    """The executors of tests/orchestration/telemetry/executors.py, registered."""
    settings.PLANGATE_EXECUTORS = {
        **settings.PLANGATE_EXECUTORS,
        "metered": "tests.orchestration.telemetry.executors.MeteredExecutor",
    }
    registry.clear_cache()
    yield
    registry.clear_cache()


class _Hook(BaseHTTPRequestHandler):
    server: _HookServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.server.received.append(dict(self.headers.items()))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _HookServer(ThreadingHTTPServer):
    received: list[dict[str, str]]


@pytest.fixture
def hook(settings: Any) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A local HTTP endpoint the http executor may call: (its url, the headers of each request
    it received)."""
    server = _HookServer(("127.0.0.1", 0), _Hook)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    settings.PLANGATE_HTTP_ALLOWED_URLS = [url]
    try:
        yield url, server.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
