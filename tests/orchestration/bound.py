"""A python-executor function for binding tests: records that it ran and returns its params."""

from __future__ import annotations

from typing import Any

from executors.protocol import StepSpec

CALLS: list[str] = []


def received(spec: StepSpec) -> Any:
    CALLS.append(spec.step_key)
    return {"params": spec.params, "place": spec.params.get("place")}


ACTIONS = [
    {
        "name": "locate",
        "description": "Finds a place.",
        "executor": "python",
        "params": {"function": "received"},
        "input_schema": {
            "type": "object",
            "properties": {"place": {"type": "object"}},
            "required": ["place"],
        },
    },
    {
        "name": "forecast",
        "description": "The weather in a city.",
        "executor": "python",
        "params": {"function": "received", "units": "metric"},
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
        "max_attempts": 3,
    },
]
