"""The http executor reads what an attempt consumed from the answer's `usage` object; a
malformed one is a warning, not a failure."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from executors.builtin.http import HttpExecutor
from executors.protocol import StepSpec, Usage


def run(url: str):
    return asyncio.run(
        HttpExecutor().run(StepSpec(plan_id="p", step_key="s", task="t", params={"url": url}))
    )


def test_it_reports_the_usage_of_the_answer(server) -> None:
    body = {
        "answer": 42,
        "usage": {"model": "big", "input_tokens": 1200, "output_tokens": 300, "cost": 0.25},
    }
    outcome = run(server.answer("/priced", 200, json.dumps(body), "application/json"))
    assert outcome.ok
    assert outcome.result == body
    assert outcome.usage == Usage(
        model="big", input_tokens=1200, output_tokens=300, cost=Decimal("0.25")
    )
    assert outcome.warning == ""


def test_a_malformed_usage_is_a_warning_not_a_failure(server) -> None:
    body = {"answer": 42, "usage": {"model": "big", "input_tokens": -3}}
    outcome = run(server.answer("/bad-usage", 200, json.dumps(body), "application/json"))
    assert outcome.ok
    assert outcome.usage is None
    assert (
        outcome.warning == "usage ignored: usage.input_tokens must be a whole number of at least 0"
    )


def test_an_answer_without_usage_reports_none(server) -> None:
    outcome = run(server.answer("/plain", 200, json.dumps({"usage_note": 1}), "application/json"))
    assert outcome.ok
    assert outcome.usage is None
    assert outcome.warning == ""
