"""`manage.py benchmark`: measure the engine on PostgreSQL and print the figures side by side."""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from plans import services
from plans.models import Plan, PlanStep, Team
from plans.states import PlanStatus
from plans.validation import StepDraft

ROOT = Path(__file__).resolve().parents[3]
ACTOR = services.Actor(label="benchmark")


class Command(BaseCommand):
    help = (
        "Benchmark the engine on the configured PostgreSQL database: durable no-op steps per "
        "second with 1, 2 and 4 runworker processes, approval-to-first-step latency, and, for "
        "scale, pgbench's rate for a single-row UPDATE on the same server. Writes its plans "
        "under a team of its own and deletes them afterwards."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--steps", type=int, default=6000, help="Steps per throughput run.")
        parser.add_argument(
            "--steps-per-plan", type=int, default=50, help="Independent echo steps per plan."
        )
        parser.add_argument(
            "--workers", default="1,2,4", help="Worker process counts to measure (comma list)."
        )
        parser.add_argument(
            "--concurrency", type=int, default=64, help="--concurrency of each worker."
        )
        parser.add_argument(
            "--latency-samples", type=int, default=200, help="Approvals timed for latency."
        )
        parser.add_argument(
            "--pgbench-seconds", type=int, default=10, help="Duration of each pgbench run."
        )

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
        if any(n < 1 for n in counts) or options["steps"] < 1 or options["steps_per_plan"] < 1:
            raise CommandError("worker counts and step counts must be positive")
        team = Team.objects.create(name=f"benchmark-{os.getpid()}-{int(time.time())}")
        try:
            self.out(f"Plangate benchmark on {self.server()}, {os.cpu_count()} CPU(s)")
            self.out(
                f"Durable no-op steps (echo; every step's state committed and its events "
                f"written), {options['steps']} steps in plans of {options['steps_per_plan']}, "
                f"--concurrency {options['concurrency']} per worker:"
            )
            for n in counts:
                rate, took = self.throughput(
                    team, n, options["steps"], options["steps_per_plan"], options["concurrency"]
                )
                self.out(f"  {n} worker(s): {rate:8.0f} steps/s  ({took:.2f} s)")
            p50, p99, samples = self.latency(team, options["latency_samples"])
            self.out(
                f"Approval to first step start, {samples} approvals, 1 idle worker: "
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )
            for clients in (1, 4):
                tps = self.pgbench(clients, options["pgbench_seconds"])
                self.out(
                    f"pgbench single-row UPDATE, {clients} client(s): "
                    + (f"{tps:8.0f} transactions/s" if tps else "not available")
                )
        finally:
            Plan.objects.filter(team=team).delete()
            team.delete()

    # --- Measurements -------------------------------------------------------------------------

    def throughput(
        self, team: Team, workers: int, steps: int, per_plan: int, concurrency: int
    ) -> tuple[float, float]:
        plans = []
        left = steps
        while left > 0:
            size = min(per_plan, left)
            plans.append(self.submit(team, size, max_concurrency=concurrency))
            left -= size
        # Statistics as autovacuum keeps them on a live database, not those of empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE plans_plan, plans_planstep, plans_planevent")
        with self.workers(workers, concurrency):
            started = time.monotonic()
            for plan in plans:
                services.plan_approve(plan=plan, actor=ACTOR, version=plan.version)
            ids = [p.pk for p in plans]
            while Plan.objects.filter(
                pk__in=ids, status__in=[PlanStatus.APPROVED, PlanStatus.EXECUTING]
            ).exists():
                time.sleep(0.02)
            took = time.monotonic() - started
        failed = PlanStep.objects.filter(plan_id__in=ids).exclude(status="completed").count()
        if failed:
            raise CommandError(f"{failed} step(s) did not complete; see the workers' logs")
        return steps / took, took

    def latency(self, team: Team, samples: int) -> tuple[float, float, int]:
        plans = [self.submit(team, 1, max_concurrency=1) for _ in range(samples)]
        waits: list[float] = []
        with self.workers(1, 4):
            for plan in plans:
                services.plan_approve(plan=plan, actor=ACTOR, version=plan.version)
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
        waits.sort()
        p99 = waits[min(len(waits) - 1, round(0.99 * (len(waits) - 1)))]
        return statistics.median(waits), p99, len(waits)

    def pgbench(self, clients: int, seconds: int) -> float | None:
        binary = shutil.which("pgbench") or next(
            iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True)), None
        )
        if binary is None:
            self.stderr.write("pgbench not found (Debian: apt-get install postgresql-client)")
            return None
        db = connection.settings_dict
        scratch = "plangate_pgbench"
        env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
        if db["USER"]:
            env["PGUSER"] = db["USER"]
        if db["PASSWORD"]:
            env["PGPASSWORD"] = db["PASSWORD"]
        with self.admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {scratch}")
            admin.execute(f"CREATE DATABASE {scratch}")
        try:
            subprocess.run(  # noqa: S603 - pgbench, found on PATH, with our own arguments
                [str(binary), "-i", "-q", "-s", "1", scratch],
                env=env,
                check=True,
                capture_output=True,
            )
            with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
                script.write(
                    "\\set aid random(1, 100000)\n"
                    "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
                )
            try:
                run = subprocess.run(  # noqa: S603 - as above
                    [
                        str(binary),
                        "-n",
                        "-c",
                        str(clients),
                        "-j",
                        str(min(clients, os.cpu_count() or 1)),
                        "-T",
                        str(seconds),
                        "-f",
                        script.name,
                        scratch,
                    ],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
            finally:
                os.unlink(script.name)
        finally:
            with self.admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {scratch}")
        found = re.search(r"tps = ([\d.]+)", run.stdout)
        return float(found.group(1)) if found else None

    # --- Helpers --------------------------------------------------------------------------------

    def submit(self, team: Team, steps: int, *, max_concurrency: int) -> Plan:
        drafts = [StepDraft(key=f"s{i}", task=f"no-op {i}", executor="echo") for i in range(steps)]
        submission = services.PlanSubmission(
            user_id="benchmark",
            topic_id="benchmark",
            goal="Benchmark",
            steps=drafts,
            max_concurrency=max_concurrency,
        )
        return services.plan_submit(team=team, actor=ACTOR, submission=submission)

    @contextmanager
    def workers(self, count: int, concurrency: int) -> Iterator[None]:
        env = {
            **os.environ,
            # The database this command uses, whatever DATABASE_URL says.
            "DATABASE_URL": self.database_url(),
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "orchestration.settings"
            ),
            "LOG_LEVEL": "WARNING",
        }
        procs = [
            subprocess.Popen(  # noqa: S603 - this interpreter running this project's manage.py
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "runworker",
                    "--concurrency",
                    str(concurrency),
                    "--poll",
                    "1",
                    "--name",
                    f"bench-{i}",
                ],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            for i in range(count)
        ]
        try:
            self.wait_listening(count)
            yield
        finally:
            for proc in procs:
                with suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def wait_listening(self, count: int) -> None:
        """Until `count` workers hold a LISTEN connection, so no run starts with cold workers."""
        deadline = time.monotonic() + 30
        with self.admin() as admin:
            while time.monotonic() < deadline:
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %%'"
                    " AND datname = current_database()"
                ).fetchone()
                if row and row[0] >= count:
                    return
                time.sleep(0.05)
        raise CommandError(f"{count} worker(s) did not start listening within 30 s")

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection[Any]]:
        db = connection.settings_dict
        params = {
            "dbname": db["NAME"],
            "user": db["USER"] or None,
            "password": db["PASSWORD"] or None,
            "host": db["HOST"] or None,
            "port": db["PORT"] or None,
        }
        with psycopg.connect(
            **{k: v for k, v in params.items() if v is not None}, autocommit=True
        ) as conn:
            yield conn

    def database_url(self) -> str:
        db = connection.settings_dict
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "127.0.0.1"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{db['NAME']}"

    def server(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        db = connection.settings_dict
        return f"PostgreSQL {version} ({db['HOST'] or 'local socket'}:{db['PORT'] or 5432})"

    def out(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
