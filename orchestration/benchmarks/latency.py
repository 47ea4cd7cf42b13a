"""How soon the engine moves: `latency` (approval to first step start) and `hop` (from one
step's finish to the start of the step that depends on it)."""

from __future__ import annotations

import itertools
import time

from django.core.management.base import CommandError

from orchestration.benchmarks.support import Bench, median, percentile
from plans.models import PlanStep

P50_TARGET_MS = 5
P99_TARGET_MS = 20


def approval_waits(bench: Bench, samples: int) -> list[float]:
    """Approve `samples` one-step plans one after another, against the workers already running;
    the ms from each plan's approved_at to its step's started_at."""
    plans = [bench.submit(1, max_concurrency=1) for _ in range(samples)]
    waits: list[float] = []
    for plan in plans:
        bench.approve_all([plan])
        deadline = time.monotonic() + 10
        while True:
            step = PlanStep.objects.filter(plan=plan).values("started_at").get()
            if step["started_at"] is not None or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        plan.refresh_from_db()
        if step["started_at"] is None or plan.approved_at is None:
            raise CommandError("a benchmark step did not start within 10 s")
        waits.append((step["started_at"] - plan.approved_at).total_seconds() * 1000)
        # Let the worker finish the step, so the next sample starts from idle.
        time.sleep(0.01)
    return waits


def verdicts(bench: Bench, label: str, values: list[float]) -> None:
    p50, p99 = median(values), percentile(values, 0.99)
    bench.verdict(f"{label} p50 {p50:.1f} ms", f"<= {P50_TARGET_MS} ms", p50 <= P50_TARGET_MS)
    bench.verdict(f"{label} p99 {p99:.1f} ms", f"<= {P99_TARGET_MS} ms", p99 <= P99_TARGET_MS)


def run(bench: Bench) -> None:
    samples = bench.options["latency_samples"]
    with bench.workers(1, 4):
        waits = approval_waits(bench, samples)
    bench.out(
        f"Approval to first step start, {samples} approvals, 1 idle worker: "
        f"p50 {median(waits):.1f} ms, p99 {percentile(waits, 0.99):.1f} ms"
    )
    verdicts(bench, "approval to first step start", waits)


def hop(bench: Bench) -> None:
    o = bench.options
    length, chains = o["hop_steps"], o["hop_chains"]
    plans = [bench.submit(length, max_concurrency=1, chain=True) for _ in range(chains)]
    bench.analyze()
    hops: list[float] = []
    gaps: list[float] = []
    with bench.workers(1, None):
        for plan in plans:
            bench.approve_all([plan])
            bench.wait_done([plan.pk])
            steps = list(
                PlanStep.objects.filter(plan=plan)
                .order_by("position")
                .values_list("started_at", "finished_at")
            )
            for (began, finished), (started, _) in itertools.pairwise(steps):
                if began is not None and started is not None and finished is not None:
                    # A whole hop: the step claimed, run, its outcome recorded and committed, and
                    # the next step claimed.
                    hops.append((started - began).total_seconds() * 1000)
                    gaps.append((started - finished).total_seconds() * 1000)
        waits = approval_waits(bench, o["latency_samples"])
    bench.out(
        f"Hops: {chains} chain(s) of {length} echo steps, each depending on the one before, "
        f"1 runworker with no flags; {len(hops)} hops (a step's started_at to the next "
        f"one's started_at), then {len(waits)} approvals of one-step plans:"
    )
    verdicts(bench, "per hop", hops)
    bench.out(
        f"  of which from a step's finished_at to the next one's started_at: p50 "
        f"{median(gaps):.1f} ms, p99 {percentile(gaps, 0.99):.1f} ms"
    )
    verdicts(bench, "approval to first step start", waits)
