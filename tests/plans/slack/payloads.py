"""Outbox payloads as the notification outbox writes them."""

from __future__ import annotations

from typing import Any


def payload(
    kind: str = "plan.waiting",
    *,
    plan_id: str = "5b0f7a34-7f0e-4c39-9d7a-2f1c1b6f4e10",
    title: str = "Rotate the API keys",
    goal: str = "Rotate every API key of the billing service",
    status: str = "draft",
    version: int = 3,
    steps: int = 4,
    step_key: str = "",
    team: str = "acme",
) -> dict[str, Any]:
    return {
        "id": "0e3b4f0c-2c1d-4a53-9a53-6f1f3f0b8a11",
        "type": kind,
        "occurred_at": "2026-01-05T10:42:00+00:00",
        "team": team,
        "plan": {
            "id": plan_id,
            "title": title,
            "goal": goal,
            "status": status,
            "version": version,
            "steps": steps,
            "url": f"https://plangate.example/plans/{plan_id}/",
        },
        "step_key": step_key,
        "event_id": 17,
        "data": {},
    }
