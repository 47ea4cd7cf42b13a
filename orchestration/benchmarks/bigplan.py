"""`bigplan`: one plan of many steps against the same steps in many small plans, and how long
the API takes to accept a very large plan."""

from __future__ import annotations

import time

from django.conf import settings

from orchestration.benchmarks.defaults import plan_body, submit
from orchestration.benchmarks.support import Bench, median

RATIO_TARGET = 0.70
ACCEPT_TARGET_S = 1.0


def run(bench: Bench) -> None:
    o = bench.options
    steps, per_plan, concurrency = o["bigplan_steps"], o["steps_per_plan"], o["concurrency"]
    # The one plan may use every worker's slots, as the small plans together do.
    big = bench.submit(steps, max_concurrency=4 * concurrency)
    one_rate, one_took = bench.run_plans([big], 4, concurrency)
    small = []
    left = steps
    while left > 0:
        small.append(bench.submit(min(per_plan, left), max_concurrency=concurrency))
        left -= per_plan
    many_rate, many_took = bench.run_plans(small, 4, concurrency)
    bench.out(
        f"Big plan: {steps} independent steps in one plan, then in {len(small)} plans of "
        f"{per_plan}, 4 workers with --concurrency {concurrency}:"
    )
    bench.out(f"  one plan: {one_rate:.0f} steps/s ({one_took:.2f} s)")
    bench.out(f"  {len(small)} plans: {many_rate:.0f} steps/s ({many_took:.2f} s)")
    ratio = one_rate / many_rate
    bench.verdict(f"ratio {ratio:.2f}", f">= {RATIO_TARGET:.2f}", ratio >= RATIO_TARGET)

    size, tries = o["bigplan_accept_steps"], o["bigplan_accept_tries"]
    body = plan_body(size)
    # The server's own limit, raised for this measurement if it is lower than the plan.
    limit = max(size, settings.PLANGATE_MAX_STEPS)
    with bench.api_server(env={"PLANGATE_MAX_STEPS": str(limit)}) as client:
        took = []
        for _ in range(tries):
            started = time.perf_counter()
            submit(client, body)
            took.append(time.perf_counter() - started)
    accept = median(took)
    bench.out(
        f"  POST /api/v1/plans of {size} steps (uvicorn, PLANGATE_MAX_STEPS={limit}), median "
        f"of {tries}:"
    )
    bench.verdict(
        f"accepted in {accept:.3f} s", f"< {ACCEPT_TARGET_S:g} s", accept < ACCEPT_TARGET_S
    )
