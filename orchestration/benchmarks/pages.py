"""`pages`: a large plan's page, and what an open page fetches when the plan moves."""

from __future__ import annotations

import re
import time

from django.db.models import Max
from django.urls import reverse

from orchestration.benchmarks.support import Bench, median, percentile
from plans.models import PlanEvent, PlanStep

TARGET_MS = 300
STEP_ROW = re.compile(r'<tr id="step-[^"]*" class="step ')


def run(bench: Bench) -> None:
    o = bench.options
    size, requests = o["pages_steps"], o["pages_requests"]
    plan = bench.submit(size)
    page = reverse("plans:detail", args=[plan.pk])
    with bench.reviewer(bench.team) as client:
        times, full = bench.server_times(client, page, requests)
        # A big plan's page shows a page of its rows (plans/web/step_pages.py).
        shown = len(STEP_ROW.findall(client.get(page).content.decode()))
        bench.out(
            f"Pages: a plan of {size} steps, its page rendered {requests} times (Django's test "
            f"Client in this process, no network):"
        )
        p95 = percentile(times, 0.95)
        bench.verdict(
            f"plan page p50 {median(times):.1f} ms, p95 {p95:.1f} ms",
            f"p95 < {TARGET_MS} ms",
            p95 < TARGET_MS,
        )
        with bench.workers(1, None):
            bench.approve_all([plan])
            # Some way into the run, as a page open on it would be nudged.
            deadline = time.monotonic() + 60
            while (
                PlanStep.objects.filter(plan=plan, status="completed").count() < size // 10
                and time.monotonic() < deadline
            ):
                time.sleep(0.01)
            events = PlanEvent.objects.filter(plan=plan)
            after = events.aggregate(last=Max("id"))["last"] or 0
            time.sleep(0.1)
            answer = client.get(
                reverse("plans:live", args=[plan.pk]), {"after": after, "seen": plan.version}
            )
            # Every step an event touched since `after`, up to the moment the fragment was sent.
            changed = len(
                set(events.filter(id__gt=after).exclude(step_key="").values_list("step_key"))
            )
            bench.wait_done([plan.pk])
    rows = len(STEP_ROW.findall(answer.content.decode()))
    bench.out(
        f"  live update while it runs: {len(answer.content):,} bytes with {rows} step rows, "
        f"{changed} steps changed since the page's last event; the full page {full:,} bytes, "
        f"{shown} of the {size} step rows"
    )
    bench.verdict(
        f"live update {rows} rows ({100 * len(answer.content) / full:.1f} % of the page)",
        "changed rows only",
        rows <= changed and rows < size,
    )
