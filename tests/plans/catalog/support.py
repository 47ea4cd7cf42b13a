"""Actions for the catalog and binding tests."""

from __future__ import annotations

from typing import Any

SEARCH = {
    "name": "search",
    "description": "Finds places in a city.",
    "executor": "echo",
    "params": {"engine": "maps", "limit": 5},
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 2},
            "limit": {"type": "integer", "minimum": 1},
        },
        "required": ["city"],
        "additionalProperties": False,
    },
    "output_schema": {
        "type": "object",
        "properties": {
            "task": {"type": "string"},
            "params": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "engine": {"type": "string"}},
            },
        },
        "additionalProperties": False,
    },
    "timeout_seconds": 20,
    "max_attempts": 2,
    "guardrails": {"input": [{"max_bytes": 5000}]},
    "estimated_cost": 0.25,
}
SUMMARISE = {
    "name": "summarise",
    "description": "Writes a summary of a text.",
    "executor": "echo",
    "input_schema": {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "style": {"type": "string", "enum": ["short", "long"]},
        },
        "required": ["text"],
        "additionalProperties": False,
    },
}
ACTIONS: list[dict[str, Any]] = [SEARCH, SUMMARISE]


def body(*steps: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"goal": "Plan a trip", "user_id": "u", "topic_id": "t", "steps": list(steps), **fields}
