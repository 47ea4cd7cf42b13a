"""A real local HTTP server for the http executor's tests."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    body: Any


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Server:
    """The server's state. `answer()` sets what a path answers and allowlists its URL."""

    base: str
    settings: Any
    answers: dict[str, Answer] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    # Set at teardown so a handler still stalling for a timeout test returns.
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.base + path

    def answer(
        self,
        path: str,
        status: int,
        text: str,
        content_type: str = "application/json",
        **headers: str,
    ) -> str:
        self.answers[path] = Answer(status, text, content_type, headers)
        url = self.url(path)
        self.settings.PLANGATE_HTTP_ALLOWED_URLS = [*self.settings.PLANGATE_HTTP_ALLOWED_URLS, url]
        return url


class Handler(BaseHTTPRequestHandler):
    server: _TestServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        body = json.loads(raw) if self.headers.get("Content-Type") == "application/json" else raw
        state = self.server.state
        state.received.append(Received(self.path, body))
        if self.path == "/echo":
            self.send(Answer(200, json.dumps({"got": body})))
        elif self.path == "/redirect":
            self.send(Answer(302, "", "text/plain", {"Location": "/echo"}))
        elif self.path == "/slow":
            state.release.wait(5)
            # The client has given up by now, as the test means it to.
            with contextlib.suppress(OSError):
                self.send(Answer(200, "{}"))
        elif self.path in state.answers:
            self.send(state.answers[self.path])
        else:
            self.send(Answer(400, "unexpected path", "text/plain"))

    def send(self, answer: Answer) -> None:
        data = answer.text.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _TestServer(ThreadingHTTPServer):
    # Non-daemon handler threads, so server_close() waits for them and nothing outlives the test.
    daemon_threads = False
    state: Server


@pytest.fixture
def server(settings: Any) -> Iterator[Server]:
    """A server on 127.0.0.1 answering /echo (the body back), /redirect and /slow (stalls up
    to 5 s), and what a test sets with `server.answer()`; those URLs are allowlisted."""
    httpd = _TestServer(("127.0.0.1", 0), Handler)
    host, port = httpd.server_address[:2]
    httpd.state = Server(base=f"http://{host}:{port}", settings=settings)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    settings.PLANGATE_HTTP_ALLOWED_URLS = [
        httpd.state.url(path) for path in ("/echo", "/redirect", "/slow")
    ]
    settings.PLANGATE_HTTP_TIMEOUT_SECONDS = 5.0
    try:
        yield httpd.state
    finally:
        httpd.state.release.set()
        httpd.shutdown()
        thread.join()
        httpd.server_close()
