"""The http executor against a real local HTTP server: what it sends and how answers classify."""

from __future__ import annotations

import asyncio
import inspect
import socket
from typing import Any

import pytest

from executors.builtin.http import HttpExecutor
from executors.protocol import FailureClass, StepOutcome, StepSpec


def spec(params: dict[str, Any], timeout: float | None = None) -> StepSpec:
    return StepSpec(
        plan_id="p1",
        step_key="plan.hook",
        task="tell the hook",
        hint="be brief",
        params=params,
        inputs={"plan.before": [{"a": 1}, "é"]},
        context={"team": "ops"},
        attempt=2,
        timeout=timeout,
    )


def run(params: dict[str, Any], timeout: float | None = None) -> StepOutcome:
    return asyncio.run(HttpExecutor().run(spec(params, timeout)))


def test_it_runs_on_the_event_loop():
    assert inspect.iscoroutinefunction(HttpExecutor.run)


def test_it_posts_the_spec_as_json_and_succeeds_with_the_json_answer(server):
    step = spec({"url": server.url("/echo")})
    outcome = asyncio.run(HttpExecutor().run(step))
    assert outcome.ok
    assert not outcome.final
    assert outcome.result == {"got": step.as_json()}
    assert [(r.path, r.body) for r in server.received] == [("/echo", step.as_json())]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_fails_as_executor_error_on_a_5xx_quoting_the_body_briefly(server, status):
    url = server.answer("/error", status, "database is down " + "x" * 500, "text/plain")
    outcome = run({"url": url})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.retryable
    assert outcome.error.startswith(f"POST {url} answered {status}: database is down xxx")
    assert len(outcome.error) < len(url) + 250


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_it_fails_as_bad_input_on_other_4xx(server, status):
    url = server.answer("/refused", status, "no such hook", "text/plain")
    outcome = run({"url": url})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert not outcome.retryable
    assert outcome.error == f"POST {url} answered {status}: no such hook"


def test_it_fails_as_rate_limited_on_429(server):
    url = server.answer("/busy", 429, "slow down", "text/plain")
    outcome = run({"url": url})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.RATE_LIMITED
    assert outcome.retryable
    assert outcome.retry_after is None
    assert outcome.error == f"POST {url} answered 429: slow down"


def test_it_fails_as_executor_error_on_a_2xx_answer_that_is_not_json(server):
    url = server.answer("/text", 200, "<html>hello</html>", "text/html")
    outcome = run({"url": url})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert (
        outcome.error == f"POST {url} answered 200 with a body that is not JSON: <html>hello</html>"
    )


def test_it_does_not_follow_redirects(server):
    url = server.url("/redirect")
    outcome = run({"url": url})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert "answered 302" in outcome.error
    assert [r.path for r in server.received] == ["/redirect"]


def test_it_fails_as_timeout_when_the_answer_is_late(server):
    url = server.url("/slow")
    outcome = run({"url": url, "timeout": 0.2})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.TIMEOUT
    assert outcome.retryable
    assert outcome.error == f"POST {url} timed out after 0.2s"


def test_it_caps_the_timeout_at_the_setting(server, settings):
    settings.PLANGATE_HTTP_TIMEOUT_SECONDS = 0.2
    url = server.url("/slow")
    outcome = run({"url": url, "timeout": 30})
    assert outcome.failure_class == FailureClass.TIMEOUT
    assert outcome.error == f"POST {url} timed out after 0.2s"


def test_it_caps_the_timeout_at_the_steps_own(server):
    url = server.url("/slow")
    outcome = run({"url": url, "timeout": 30}, timeout=0.2)
    assert outcome.failure_class == FailureClass.TIMEOUT
    assert outcome.error == f"POST {url} timed out after 0.2s"


def test_it_fails_as_executor_error_when_nothing_listens(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook"
    settings.PLANGATE_HTTP_ALLOWED_URLS = [url]
    outcome = run({"url": url})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error.startswith(f"POST {url} failed: ConnectError")


def test_it_fails_as_bad_input_for_an_allowlisted_url_it_cannot_speak_to(settings):
    url = "ftp://files.example.com/run"
    settings.PLANGATE_HTTP_ALLOWED_URLS = [url]
    outcome = run({"url": url})
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error.startswith(f"POST {url} failed: ")


def test_it_refuses_a_url_not_in_the_allowlist_without_sending(server):
    url = server.url("/echo") + "?x=1"
    outcome = run({"url": url})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error == f"http: url {url!r} is not in PLANGATE_HTTP_ALLOWED_URLS"
    assert server.received == []


def test_it_rechecks_the_allowlist_at_run(server, settings):
    executor = HttpExecutor()
    params = {"url": server.url("/echo")}
    assert executor.validate_params(params) == []
    settings.PLANGATE_HTTP_ALLOWED_URLS = []
    outcome = asyncio.run(executor.run(spec(params)))
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
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
