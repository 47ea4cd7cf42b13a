"""`manage.py benchmark`: measure the engine on PostgreSQL and print the figures side by side."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from orchestration import serving
from plans import services
from plans.models import Plan, PlanStep, Team
from plans.states import PlanStatus
from plans.validation import StepDraft

ROOT = Path(__file__).resolve().parents[3]
ACTOR = services.Actor(label="benchmark")
PARTS = ("throughput", "latency", "pgbench", "api")


class Command(BaseCommand):
    help = (
        "Benchmark the engine on the configured PostgreSQL database: durable no-op steps per "
        "second with 1, 2 and 4 runworker processes, approval-to-first-step latency, for "
        "scale, pgbench's rate for a single-row UPDATE on the same server, and API requests per "
        "second with latency at 20 concurrent clients, on the production server (uvicorn, 2 "
        "worker processes) and on a single daphne process. Writes its plans under a team of "
        "its own and deletes them afterwards."
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
        parser.add_argument(
            "--parts",
            default=",".join(PARTS),
            help=f"Which measurements to run (comma list of {', '.join(PARTS)}).",
        )
        parser.add_argument(
            "--api-seconds", type=float, default=5, help="Duration of each API measurement."
        )
        parser.add_argument("--api-clients", type=int, default=20, help="Concurrent API clients.")
        parser.add_argument(
            "--api-workers",
            type=int,
            default=2,
            help="Worker processes of the production server measured.",
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
        parts = {part.strip() for part in options["parts"].split(",") if part.strip()}
        if not parts or parts - set(PARTS):
            raise CommandError(f"--parts must be a comma-separated list of {', '.join(PARTS)}")
        if options["api_clients"] < 1 or options["api_workers"] < 1:
            raise CommandError("--api-clients and --api-workers must be positive")
        team = Team.objects.create(name=f"benchmark-{os.getpid()}-{int(time.time())}")
        try:
            self.out(f"Plangate benchmark on {self.server()}, {os.cpu_count()} CPU(s)")
            if "throughput" in parts:
                self.out(
                    f"Durable no-op steps (echo; every step's state committed and its events "
                    f"written), {options['steps']} steps in plans of "
                    f"{options['steps_per_plan']}, --concurrency {options['concurrency']} per "
                    f"worker:"
                )
                for n in counts:
                    rate, took = self.throughput(
                        team, n, options["steps"], options["steps_per_plan"], options["concurrency"]
                    )
                    self.out(f"  {n} worker(s): {rate:8.0f} steps/s  ({took:.2f} s)")
            if "latency" in parts:
                p50, p99, samples = self.latency(team, options["latency_samples"])
                self.out(
                    f"Approval to first step start, {samples} approvals, 1 idle worker: "
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
                )
            if "pgbench" in parts:
                for clients in (1, 4):
                    tps = self.pgbench(clients, options["pgbench_seconds"])
                    self.out(
                        f"pgbench single-row UPDATE, {clients} client(s): "
                        + (f"{tps:8.0f} transactions/s" if tps else "not available")
                    )
            if "api" in parts:
                self.api(
                    team,
                    clients=options["api_clients"],
                    seconds=options["api_seconds"],
                    workers=options["api_workers"],
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

    def api(self, team: Team, *, clients: int, seconds: float, workers: int) -> None:
        """Requests/s and latency of a plan read and a plan submit through the JSON API, on the
        production server and, for comparison, on one daphne process."""
        _, token = services.token_create(team=team, name="benchmark")
        plan = self.submit(team, 3, max_concurrency=1)
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
        self.out(
            f"API at {clients} concurrent clients (httpx in this process, on the same CPUs as "
            f"the server), {seconds:g} s each:"
        )
        # httpx logs every request at INFO: a line per request would cost this process the CPU
        # it shares with the servers it measures.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        for label, args in servers:
            with self.web_server(args, token, requests[0][2]) as base_url:
                for name, method, path, body in requests:
                    rate, p50, p99 = asyncio.run(
                        self.load(base_url, token, method, path, body, clients, seconds)
                    )
                    self.out(
                        f"  {label + ':':<30} {name:<12} {rate:6.0f} requests/s, "
                        f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms"
                    )

    async def load(
        self,
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
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
        return len(latencies) / took, statistics.median(latencies), p99

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
        env = self.child_env()
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

    @contextmanager
    def web_server(self, args: Callable[[int], list[str]], token: str, probe: str) -> Iterator[str]:
        """Start a web server on a free port; yield its base URL once `probe` answers 200."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        env = {**self.child_env(), "ALLOWED_HOSTS": "127.0.0.1"}
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(  # noqa: S603 - this interpreter running a server module
                [sys.executable, *args(port)],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                base_url = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + 30
                while True:
                    with suppress(httpx.TransportError):
                        answer = httpx.get(
                            base_url + probe, headers={"Authorization": f"Bearer {token}"}
                        )
                        if answer.status_code == 200:
                            break
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        raise CommandError(
                            f"{' '.join(args(port))} did not answer within 30 s:\n"
                            + log.read().decode(errors="replace")[-2000:]
                        )
                    time.sleep(0.2)
                yield base_url
            finally:
                # SIGTERM: each server finishes its requests and stops its processes.
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=serving.GRACEFUL_SHUTDOWN_SECONDS + 10)
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

    def child_env(self) -> dict[str, str]:
        return {
            **os.environ,
            # The database this command uses, whatever DATABASE_URL says.
            "DATABASE_URL": self.database_url(),
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "orchestration.settings"
            ),
            "LOG_LEVEL": "WARNING",
        }

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
