"""Durable no-op steps per second: `throughput` (1, 2 and 4 tuned workers) and `peak` (4)."""

from __future__ import annotations

from orchestration.benchmarks.support import Bench

PEAK_TARGET = 3000


def run(bench: Bench, counts: list[int]) -> None:
    o = bench.options
    bench.out(
        f"Durable no-op steps (echo; every step's state committed and its events written), "
        f"{o['steps']} steps in plans of {o['steps_per_plan']}, --concurrency "
        f"{o['concurrency']} per worker:"
    )
    for n in counts:
        rate, took = bench.throughput(n, o["steps"], o["steps_per_plan"], o["concurrency"])
        bench.out(f"  {n} worker(s): {rate:8.0f} steps/s  ({took:.2f} s)")


def peak(bench: Bench) -> None:
    o = bench.options
    bench.out(
        f"Peak: {o['steps']} independent steps in plans of {o['steps_per_plan']}, 4 workers "
        f"with --concurrency {o['concurrency']}:"
    )
    rate, took = bench.throughput(4, o["steps"], o["steps_per_plan"], o["concurrency"])
    bench.verdict(
        f"4 workers: {rate:.0f} steps/s ({took:.2f} s)", f">= {PEAK_TARGET:,}", rate >= PEAK_TARGET
    )
