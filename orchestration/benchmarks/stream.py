"""`stream`: plans arriving through the API at a steady rate while the workers run, instead of
all waiting before the clock starts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from django.core.management.base import CommandError
from django.db.models import Max, Min

from orchestration.benchmarks.defaults import plan_body
from orchestration.benchmarks.support import Bench, median, percentile
from plans.models import Plan, PlanStep


def run(bench: Bench) -> None:
    o = bench.options
    rate, seconds, size = o["stream_rate"], o["stream_seconds"], o["stream_steps"]
    concurrency = o["concurrency"]
    with bench.api_server() as client, bench.workers(4, concurrency):
        ids, late = asyncio.run(
            arrive(bench.decide(), str(client.base_url), dict(client.headers), rate, seconds, size)
        )
        bench.wait_done(ids)
    took = Plan.objects.filter(pk__in=ids).aggregate(
        first=Min("approved_at"), last=Max("finished_at")
    )
    span = (took["last"] - took["first"]).total_seconds()
    starts = (
        PlanStep.objects.filter(plan_id__in=ids)
        .values("plan_id", "plan__approved_at")
        .annotate(first=Min("started_at"))
    )
    waits = [(row["first"] - row["plan__approved_at"]).total_seconds() * 1000 for row in starts]
    bench.out(
        f"Stream: {len(ids)} plans of {size} steps submitted and approved through the API at "
        f"{rate:g} plans/s for {seconds:g} s (uvicorn, {o['api_workers']} process(es); the "
        f"submissions fell {late:.0f} ms behind the schedule at most), 4 workers with "
        f"--concurrency {concurrency}:"
    )
    bench.out(
        f"  {len(ids) * size / span:.0f} steps/s from the first approval to the last plan's end "
        f"({span:.2f} s)"
    )
    bench.out(
        f"  approval to first step start p50 {median(waits):.1f} ms, "
        f"p99 {percentile(waits, 0.99):.1f} ms"
    )


async def arrive(
    decide: dict[str, str],
    base_url: str,
    headers: dict[str, str],
    rate: float,
    seconds: float,
    size: int,
) -> tuple[list[Any], float]:
    """Submit and approve a plan every 1/rate s for `seconds`, each without waiting for the
    one before; returns the plans' ids and how far the last submission fell behind. `decide`:
    the approving token's headers, made before the event loop runs (the database is not
    called from it)."""
    ids: list[Any] = []
    late = 0.0
    body = plan_body(size)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120) as client:

        async def one() -> None:
            answer = await client.post("/api/v1/plans", json=body)
            if not answer.is_success:
                raise CommandError(f"POST /api/v1/plans answered {answer.status_code}")
            plan = answer.json()
            ids.append(plan["id"])
            answer = await client.post(
                f"/api/v1/plans/{plan['id']}/approve",
                json={"version": plan["version"]},
                headers=decide,
            )
            if not answer.is_success:
                raise CommandError(f"approving answered {answer.status_code}")

        tasks = []
        started = time.monotonic()
        for n in range(max(1, round(rate * seconds))):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            late = max(late, (time.monotonic() - due) * 1000)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return ids, late
