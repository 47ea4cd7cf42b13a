"""The echo executor returns the step's task, params and inputs."""

from __future__ import annotations

import asyncio
import inspect

from executors.builtin.echo import EchoExecutor
from executors.protocol import StepSpec


def test_it_echoes_task_params_and_inputs():
    spec = StepSpec(
        plan_id="p1",
        step_key="plan.echo",
        task="say hello",
        hint="ignored",
        params={"greeting": "hi", "n": [1, 2]},
        inputs={"plan.before": {"x": 1}},
        context={"ignored": True},
    )
    outcome = asyncio.run(EchoExecutor().run(spec))
    assert outcome.ok
    assert not outcome.final
    assert outcome.result == {
        "task": "say hello",
        "params": {"greeting": "hi", "n": [1, 2]},
        "inputs": {"plan.before": {"x": 1}},
    }


def test_it_runs_on_the_event_loop():
    assert inspect.iscoroutinefunction(EchoExecutor.run)


def test_it_accepts_any_params():
    assert EchoExecutor().validate_params({"anything": object(), "url": 5}) == []
