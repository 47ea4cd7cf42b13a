"""`manage.py benchmark`: measure the engine, the API and the pages on PostgreSQL and print each
figure, next to its target where it has one. The measurements are in orchestration/benchmarks/."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from orchestration.benchmarks import (
    api,
    bigplan,
    defaults,
    history,
    latency,
    live,
    pages,
    pgbench,
    stream,
    throughput,
)
from orchestration.benchmarks.support import Bench
from plans.models import Plan, Team

PARTS = (
    "throughput",
    "latency",
    "pgbench",
    "api",
    "hop",
    "defaults",
    "peak",
    "bigplan",
    "stream",
    "history",
    "pages",
    "live",
)
# history seeds and deletes six million rows, minutes of work: it runs when asked for.
DEFAULT_PARTS = tuple(part for part in PARTS if part != "history")


class Command(BaseCommand):
    help = (
        "Benchmark the engine on the configured PostgreSQL database and print each figure, "
        "next to its target (PASS or MISS) where it has one. Parts (--parts): throughput "
        "(durable no-op steps/s with 1, 2 and 4 runworker processes), latency (approval to "
        "first step start), pgbench (a single-row UPDATE on the same server, for scale), api "
        "(requests/s on uvicorn and daphne), hop (step to dependent step, untuned worker), "
        "defaults (untuned workers, plans through the API), peak (4 tuned workers), bigplan "
        "(one big plan against many small ones; accepting a very large plan), stream (plans "
        "arriving at a steady rate), history (with a million finished steps in the tables), "
        "pages (a 1,000-step plan page and its live updates) and live (commit to WebSocket "
        "frame at 100 open pages). Writes its plans under teams of its own and deletes them "
        "afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        def option(name: str, kind: Any, default: Any, text: str) -> None:
            shown = "" if default is None else f" ({default})"
            parser.add_argument(name, type=kind, default=default, help=f"{text}{shown}.")

        option("--steps", int, 6000, "Steps per throughput run (throughput, peak, history)")
        option("--steps-per-plan", int, 50, "Independent echo steps per plan")
        parser.add_argument(
            "--workers", default="1,2,4", help="Worker process counts to measure (comma list)."
        )
        option("--concurrency", int, 64, "--concurrency of each tuned worker")
        option("--latency-samples", int, 200, "Approvals timed for latency (latency, hop)")
        option("--pgbench-seconds", int, 10, "Duration of each pgbench run")
        parser.add_argument(
            "--parts",
            default=",".join(DEFAULT_PARTS),
            help=f"Which measurements to run (comma list of {', '.join(PARTS)}; all but "
            "history by default).",
        )
        option("--api-seconds", float, 5, "Duration of each API measurement")
        option("--api-clients", int, 20, "Concurrent API clients")
        option("--api-workers", int, 2, "Worker processes of the production server started")
        option("--hop-steps", int, 30, "hop: steps in each chain")
        option("--hop-chains", int, 1, "hop: chains run one after another")
        option("--defaults-plans", int, 4, "defaults: plans submitted through the API")
        option("--defaults-steps", int, 500, "defaults: steps in each of them")
        option("--bigplan-steps", int, 5000, "bigplan: steps of the one big plan")
        option("--bigplan-accept-steps", int, 10000, "bigplan: steps of the plan POSTed")
        option("--bigplan-accept-tries", int, 3, "bigplan: POSTs timed (the median counts)")
        option("--stream-rate", float, 10, "stream: plans submitted and approved per second")
        option("--stream-seconds", float, 10, "stream: for how long")
        option("--stream-steps", int, 20, "stream: steps in each plan")
        option("--history-steps", int, 1_000_000, "history: finished steps seeded")
        option("--history-events", int, 5_000_000, "history: events seeded")
        option("--history-requests", int, 50, "history: requests timed per page")
        option(
            "--history-baseline",
            float,
            None,
            "history: steps/s before seeding, when reusing kept rows",
        )
        parser.add_argument(
            "--history-keep",
            action="store_true",
            help="history: keep the seeded rows (team benchmark-history) for the next run.",
        )
        option("--pages-steps", int, 1000, "pages: steps of the plan shown")
        option("--pages-requests", int, 20, "pages: page renders timed")
        option("--live-clients", int, 100, "live: WebSockets open on the plan's page")
        option("--live-samples", int, 20, "live: changes committed")
        option("--live-gap", float, 0.3, "live: seconds between changes")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(
                "the benchmark needs PostgreSQL: set DATABASE_URL, e.g. "
                "DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"
            )
        try:
            counts = [int(n) for n in options["workers"].split(",")]
        except ValueError:
            raise CommandError("--workers must be a comma-separated list of numbers") from None
        sizes = [
            "steps",
            "steps_per_plan",
            "hop_steps",
            "hop_chains",
            "defaults_plans",
            "defaults_steps",
            "bigplan_steps",
            "bigplan_accept_steps",
            "bigplan_accept_tries",
            "stream_steps",
            "history_steps",
            "history_events",
            "history_requests",
            "pages_steps",
            "pages_requests",
            "live_clients",
            "live_samples",
        ]
        if any(n < 1 for n in counts) or any(options[name] < 1 for name in sizes):
            raise CommandError("worker counts, step counts and sample counts must be positive")
        if options["stream_rate"] <= 0 or options["stream_seconds"] <= 0:
            raise CommandError("--stream-rate and --stream-seconds must be positive")
        parts = {part.strip() for part in options["parts"].split(",") if part.strip()}
        if not parts or parts - set(PARTS):
            raise CommandError(f"--parts must be a comma-separated list of {', '.join(PARTS)}")
        if options["api_clients"] < 1 or options["api_workers"] < 1:
            raise CommandError("--api-clients and --api-workers must be positive")
        # Separation of duties stays on: the benchmark approves with a token of its own.
        team = Team.objects.create(name=f"benchmark-{os.getpid()}-{int(time.time())}")
        bench = Bench(team=team, options=options, stdout=self.stdout, stderr=self.stderr)
        runs = {
            "throughput": lambda: throughput.run(bench, counts),
            "latency": lambda: latency.run(bench),
            "pgbench": lambda: pgbench.run(bench),
            "api": lambda: api.run(bench),
            "hop": lambda: latency.hop(bench),
            "defaults": lambda: defaults.run(bench),
            "peak": lambda: throughput.peak(bench),
            "bigplan": lambda: bigplan.run(bench),
            "stream": lambda: stream.run(bench),
            "history": lambda: history.run(bench),
            "pages": lambda: pages.run(bench),
            "live": lambda: live.run(bench),
        }
        try:
            bench.out(f"Plangate benchmark on {self.server()}, {os.cpu_count()} CPU(s)")
            for part in PARTS:
                if part in parts:
                    runs[part]()
        finally:
            Plan.objects.filter(team=team).delete()
            team.delete()

    def server(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        db = connection.settings_dict
        return f"PostgreSQL {version} ({db['HOST'] or 'local socket'}:{db['PORT'] or 5432})"
