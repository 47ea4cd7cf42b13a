"""The http executor says when the input was too large for the model behind the URL."""

from __future__ import annotations

import asyncio
import json

import pytest

from executors.builtin.http import HttpExecutor
from executors.protocol import FailureClass, StepOutcome, StepSpec


def run(url: str) -> StepOutcome:
    return asyncio.run(
        HttpExecutor().run(StepSpec(plan_id="p1", step_key="s", task="t", params={"url": url}))
    )


def test_it_fails_as_context_overflow_on_413(server):
    url = server.answer("/big", 413, "request entity too large", "text/plain")
    outcome = run(url)
    assert outcome.failure_class == FailureClass.CONTEXT_OVERFLOW
    assert not outcome.retryable
    assert outcome.error == f"POST {url} answered 413: request entity too large"


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "context_length_exceeded", "message": "too many tokens"}},
        {"code": "context_length_exceeded"},
    ],
)
def test_it_fails_as_context_overflow_on_a_4xx_with_the_error_code(server, body):
    url = server.answer("/long", 400, json.dumps(body))
    assert run(url).failure_class == FailureClass.CONTEXT_OVERFLOW


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"error": {"code": "invalid_api_key"}}),
        json.dumps({"error": "context_length_exceeded"}),
        json.dumps(["context_length_exceeded"]),
        "context_length_exceeded",
    ],
)
def test_other_4xx_bodies_stay_bad_input(server, body):
    url = server.answer("/bad", 400, body)
    assert run(url).failure_class == FailureClass.BAD_INPUT


def test_a_5xx_with_the_code_stays_an_executor_error(server):
    url = server.answer("/down", 503, json.dumps({"code": "context_length_exceeded"}))
    assert run(url).failure_class == FailureClass.EXECUTOR_ERROR
