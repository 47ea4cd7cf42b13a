"""The echo executor reports params.usage as what the attempt consumed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from executors.builtin.echo import EchoExecutor
from executors.protocol import StepSpec, Usage


def test_it_reports_params_usage() -> None:
    params = {"usage": {"model": "m", "input_tokens": 5, "units": {"searches": 2}, "cost": "0.5"}}
    outcome = asyncio.run(
        EchoExecutor().run(StepSpec(plan_id="p", step_key="s", task="t", params=params))
    )
    assert outcome.usage == Usage(
        model="m", input_tokens=5, units={"searches": 2.0}, cost=Decimal("0.5")
    )


def test_a_malformed_usage_is_refused_at_submission() -> None:
    assert EchoExecutor().validate_params({"usage": {"tokens": 5}}) == [
        "usage has unknown fields ['tokens']; allowed: "
        "['model', 'input_tokens', 'output_tokens', 'units', 'cost']"
    ]
    assert EchoExecutor().validate_params({"usage": {"model": "m"}}) == []
