"""`defaults`: what an operator gets from untuned workers, with plans that arrive through the
API."""

from __future__ import annotations

import time
from typing import Any

import httpx
from django.core.management.base import CommandError

from orchestration.benchmarks.support import Bench

TARGET = 1900


def plan_body(steps: int, **extra: Any) -> dict[str, Any]:
    """A submission of `steps` independent no-op steps (the default executor, echo)."""
    return {
        "goal": "Benchmark",
        "user_id": "benchmark",
        "topic_id": "benchmark",
        "steps": [{"key": f"s{i}", "task": f"no-op {i}"} for i in range(steps)],
        **extra,
    }


def submit(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post("/api/v1/plans", json=body)
    if not answer.is_success:
        raise CommandError(f"POST /api/v1/plans answered {answer.status_code}: {answer.text[:500]}")
    plan: dict[str, Any] = answer.json()
    return plan


def approve(bench: Bench, client: httpx.Client, plan: dict[str, Any]) -> None:
    answer = client.post(
        f"/api/v1/plans/{plan['id']}/approve",
        json={"version": plan["version"]},
        headers=bench.decide(),
    )
    if not answer.is_success:
        raise CommandError(f"approving answered {answer.status_code}: {answer.text[:500]}")


def run(bench: Bench) -> None:
    o = bench.options
    count, size = o["defaults_plans"], o["defaults_steps"]
    with bench.api_server() as client:
        plans = [submit(client, plan_body(size)) for _ in range(count)]
        bench.analyze()
        with bench.workers(4, None):
            started = time.monotonic()
            for plan in plans:
                approve(bench, client, plan)
            bench.wait_done([p["id"] for p in plans])
            took = time.monotonic() - started
    rate = count * size / took
    bench.out(
        f"Defaults: {count} plans of {size} no-op steps submitted and approved through the API "
        f"(uvicorn, {o['api_workers']} process(es)), 4 runworker processes with no flags:"
    )
    bench.verdict(f"{rate:.0f} steps/s ({took:.2f} s)", f">= {TARGET:,} steps/s", rate >= TARGET)
