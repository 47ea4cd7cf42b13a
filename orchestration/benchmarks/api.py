"""API requests/s and latency on the production server and on one daphne process."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from django.core.management.base import CommandError

from orchestration import serving
from orchestration.benchmarks.support import Bench, median, percentile


def run(bench: Bench) -> None:
    """Requests/s and latency of a plan read and a plan submit through the JSON API, on the
    production server and, for comparison, on one daphne process."""
    o = bench.options
    clients, seconds, workers = o["api_clients"], o["api_seconds"], o["api_workers"]
    token = bench.token("plans:submit", "plans:read")
    plan = bench.submit(3, max_concurrency=1)
    submit = {
        "goal": "Benchmark",
        "user_id": "benchmark",
        "topic_id": "benchmark",
        "steps": [{"key": f"s{i}", "task": f"no-op {i}"} for i in range(3)],
    }
    requests = [
        ("plan read", "GET", f"/api/v1/plans/{plan.pk}", None),
        ("plan submit", "POST", "/api/v1/plans", submit),
    ]
    servers = [
        (
            f"uvicorn, {workers} worker processes",
            lambda port: serving.uvicorn_args(host="127.0.0.1", port=port, workers=workers),
        ),
        ("daphne, 1 process", lambda port: serving.daphne_args(host="127.0.0.1", port=port)),
    ]
    bench.out(
        f"API at {clients} concurrent clients (httpx in this process, on the same CPUs as "
        f"the server), {seconds:g} s each:"
    )
    # httpx logs every request at INFO: a line per request would cost this process the CPU
    # it shares with the servers it measures.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for label, args in servers:
        with bench.web_server(args, token, str(requests[0][2])) as base_url:
            for name, method, path, body in requests:
                rate, p50, p99 = asyncio.run(
                    load(base_url, token, method, str(path), body, clients, seconds)
                )
                bench.out(
                    f"  {label + ':':<30} {name:<12} {rate:6.0f} requests/s, "
                    f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms"
                )


async def load(
    base_url: str,
    token: str,
    method: str,
    path: str,
    body: Any,
    clients: int,
    seconds: float,
) -> tuple[float, float, float]:
    """`clients` tasks sending one request after another for `seconds`, after a warm-up as
    long (a second at most); returns requests/s, p50 and p99 in ms."""
    latencies: list[float] = []
    failures: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}"},
        limits=limits,
        timeout=60,
    ) as client:

        async def one_client(until: float) -> None:
            while time.monotonic() < until:
                started = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                if not response.is_success:
                    failures.append(response.status_code)

        # Warm-up: every connection opened and every server process's first requests
        # (imports, database connections) served before the clock starts.
        warm = time.monotonic() + min(1.0, seconds)
        await asyncio.gather(*(one_client(warm) for _ in range(clients)))
        latencies.clear()
        started = time.monotonic()
        await asyncio.gather(*(one_client(started + seconds) for _ in range(clients)))
        took = time.monotonic() - started
    if failures:
        raise CommandError(
            f"{len(failures)} of {len(latencies)} {method} {path} requests failed "
            f"(status {sorted(set(failures))})"
        )
    return len(latencies) / took, median(latencies), percentile(latencies, 0.99)
