"""The http executor against a real local HTTP server."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from executors.builtin.http import HttpExecutor
from executors.protocol import StepSpec


@dataclass
class Received:
    path: str
    body: Any


@dataclass
class Server:
    base: str
    received: list[Received] = field(default_factory=list)
    # Set at teardown so a handler still stalling for the timeout test returns.
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.base + path


class Handler(BaseHTTPRequestHandler):
    server: _TestServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        body = json.loads(raw) if self.headers.get("Content-Type") == "application/json" else raw
        state = self.server.state
        state.received.append(Received(self.path, body))
        if self.path == "/echo":
            self.answer(200, json.dumps({"got": body}), "application/json")
        elif self.path == "/error":
            self.answer(500, "database is down " + "x" * 500, "text/plain")
        elif self.path == "/busy":
            self.answer(429, "slow down", "text/plain")
        elif self.path == "/missing":
            self.answer(404, "no such hook", "text/plain")
        elif self.path == "/text":
            self.answer(200, "<html>hello</html>", "text/html")
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/echo")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/slow":
            state.release.wait(5)
            # The client has given up by now, as the test means it to.
            with contextlib.suppress(OSError):
                self.answer(200, "{}", "application/json")
        else:
            self.answer(400, "unexpected path", "text/plain")

    def answer(self, status: int, text: str, content_type: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _TestServer(ThreadingHTTPServer):
    # Non-daemon handler threads, so server_close() waits for them and nothing outlives the test.
    daemon_threads = False
    state: Server


@pytest.fixture
def server(settings) -> Iterator[Server]:
    httpd = _TestServer(("127.0.0.1", 0), Handler)
    host, port = httpd.server_address[:2]
    httpd.state = Server(base=f"http://{host}:{port}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    settings.PLANGATE_HTTP_ALLOWED_URLS = [
        httpd.state.url(path)
        for path in ("/echo", "/error", "/busy", "/missing", "/text", "/redirect", "/slow")
    ]
    settings.PLANGATE_HTTP_TIMEOUT_SECONDS = 5.0
    try:
        yield httpd.state
    finally:
        httpd.state.release.set()
        httpd.shutdown()
        thread.join()
        httpd.server_close()


def spec(params: dict[str, Any]) -> StepSpec:
    return StepSpec(
        plan_id="p1",
        step_key="plan.hook",
        task="tell the hook",
        hint="be brief",
        params=params,
        inputs={"plan.before": [{"a": 1}, "é"]},
        context={"team": "ops"},
        attempt=2,
    )


def test_it_posts_the_spec_as_json_and_succeeds_with_the_json_answer(server):
    step = spec({"url": server.url("/echo")})
    outcome = HttpExecutor().run(step)
    assert outcome.ok
    assert outcome.result == {"got": step.as_json()}
    assert server.received == [Received("/echo", step.as_json())]


def test_it_fails_retryably_on_a_server_error_quoting_the_body_briefly(server):
    url = server.url("/error")
    outcome = HttpExecutor().run(spec({"url": url}))
    assert not outcome.ok
    assert outcome.retryable
    assert outcome.error.startswith(f"POST {url} answered 500: database is down xxx")
    assert len(outcome.error) < len(url) + 250


def test_it_fails_retryably_on_429(server):
    url = server.url("/busy")
    outcome = HttpExecutor().run(spec({"url": url}))
    assert not outcome.ok
    assert outcome.retryable
    assert outcome.error == f"POST {url} answered 429: slow down"


def test_it_fails_for_good_on_404(server):
    url = server.url("/missing")
    outcome = HttpExecutor().run(spec({"url": url}))
    assert not outcome.ok
    assert not outcome.retryable
    assert outcome.error == f"POST {url} answered 404: no such hook"


def test_it_fails_for_good_on_a_2xx_answer_that_is_not_json(server):
    url = server.url("/text")
    outcome = HttpExecutor().run(spec({"url": url}))
    assert not outcome.ok
    assert not outcome.retryable
    assert (
        outcome.error == f"POST {url} answered 200 with a body that is not JSON: <html>hello</html>"
    )


def test_it_does_not_follow_redirects(server):
    url = server.url("/redirect")
    outcome = HttpExecutor().run(spec({"url": url}))
    assert not outcome.ok
    assert not outcome.retryable
    assert "answered 302" in outcome.error
    assert [r.path for r in server.received] == ["/redirect"]


def test_it_fails_retryably_on_a_timeout(server):
    url = server.url("/slow")
    outcome = HttpExecutor().run(spec({"url": url, "timeout": 0.2}))
    assert not outcome.ok
    assert outcome.retryable
    assert outcome.error == f"POST {url} timed out after 0.2s"


def test_it_caps_the_timeout_at_the_setting(server, settings):
    settings.PLANGATE_HTTP_TIMEOUT_SECONDS = 0.2
    url = server.url("/slow")
    outcome = HttpExecutor().run(spec({"url": url, "timeout": 30}))
    assert outcome.retryable
    assert outcome.error == f"POST {url} timed out after 0.2s"


def test_it_fails_retryably_when_nothing_listens(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    settings.PLANGATE_HTTP_ALLOWED_URLS = [url]
    outcome = HttpExecutor().run(spec({"url": url}))
    assert not outcome.ok
    assert outcome.retryable
    assert outcome.error.startswith(f"POST {url} failed: ConnectError")


def test_it_refuses_a_url_not_in_the_allowlist_without_sending(server):
    url = server.url("/echo") + "?x=1"
    outcome = HttpExecutor().run(spec({"url": url}))
    assert not outcome.ok
    assert not outcome.retryable
    assert outcome.error == f"http: url {url!r} is not in PLANGATE_HTTP_ALLOWED_URLS"
    assert server.received == []


def test_it_rechecks_the_allowlist_at_run(server, settings):
    executor = HttpExecutor()
    params = {"url": server.url("/echo")}
    assert executor.validate_params(params) == []
    settings.PLANGATE_HTTP_ALLOWED_URLS = []
    outcome = executor.run(spec(params))
    assert not outcome.ok
    assert "is not in PLANGATE_HTTP_ALLOWED_URLS" in outcome.error
    assert server.received == []


def test_validate_params__refuses_an_unlisted_url_naming_it(settings):
    settings.PLANGATE_HTTP_ALLOWED_URLS = ["https://hooks.example.com/run"]
    executor = HttpExecutor()
    assert executor.validate_params({"url": "https://hooks.example.com/run"}) == []
    assert executor.validate_params({"url": "https://hooks.example.com/run/"}) == [
        "url 'https://hooks.example.com/run/' is not in PLANGATE_HTTP_ALLOWED_URLS"
    ]


def test_validate_params__refuses_a_missing_or_non_string_url():
    assert HttpExecutor().validate_params({}) == ["url is required"]
    assert HttpExecutor().validate_params({"url": ["http://x"]}) == [
        "url must be a string, not list"
    ]


@pytest.mark.parametrize("timeout", [0, -1, "5", None, True, float("nan")])
def test_validate_params__refuses_a_timeout_that_is_not_positive(settings, timeout):
    settings.PLANGATE_HTTP_ALLOWED_URLS = ["https://hooks.example.com/run"]
    problems = HttpExecutor().validate_params(
        {"url": "https://hooks.example.com/run", "timeout": timeout}
    )
    assert problems == [f"timeout must be a positive number of seconds, not {timeout!r}"]


def test_validate_params__accepts_a_positive_timeout(settings):
    settings.PLANGATE_HTTP_ALLOWED_URLS = ["https://hooks.example.com/run"]
    assert (
        HttpExecutor().validate_params({"url": "https://hooks.example.com/run", "timeout": 2.5})
        == []
    )
