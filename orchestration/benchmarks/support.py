"""What the benchmark's measurements share: the run's team and options, plans submitted in
process, worker and web server processes, and the lines that set a figure next to its target."""

from __future__ import annotations

import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection, transaction
from django.test import Client, override_settings

from orchestration import serving
from plans import services
from plans.models import Membership, Plan, PlanStep, Role
from plans.states import PlanStatus
from plans.validation import StepDraft

ROOT = Path(__file__).resolve().parents[2]
ACTOR = services.Actor(label="benchmark")
# Statuses of a plan whose steps have not all ended yet.
UNDERWAY = (PlanStatus.APPROVED, PlanStatus.EXECUTING)
_UNDERWAY_SQL = """
SELECT EXISTS (SELECT 1 FROM plans_plan WHERE id = ANY(%s::uuid[]) AND status = ANY(%s))
"""


def percentile(values: Iterable[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.99 for p99) of `values`, which must not be empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


@dataclass
class Bench:
    """One run of the command: its options, the team its plans belong to and its output."""

    team: Any
    options: dict[str, Any]
    stdout: OutputWrapper
    stderr: OutputWrapper
    _tokens: dict[str, str] = field(default_factory=dict)

    # --- Output ------------------------------------------------------------------------------

    def out(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def verdict(self, figure: str, target: str, met: bool) -> None:
        """Print a figure next to its target: "<figure>  target <target>  PASS|MISS"."""
        self.out(f"  {figure}  target {target}  {'PASS' if met else 'MISS'}")

    # --- Plans -------------------------------------------------------------------------------

    def submit(
        self,
        steps: int,
        *,
        max_concurrency: int | None = None,
        chain: bool = False,
        team: Any = None,
    ) -> Plan:
        """Submit a plan of `steps` no-op `echo` steps, independent or each depending on the one
        before (`chain`). Plans larger than PLANGATE_MAX_STEPS are let through: the limit is the
        API's, and what is measured here is the engine."""
        drafts = [
            StepDraft(
                key=f"s{i}",
                task=f"no-op {i}",
                executor="echo",
                depends_on=[f"s{i - 1}"] if chain and i else [],
            )
            for i in range(steps)
        ]
        extra: dict[str, Any] = {}
        if max_concurrency is not None:
            extra["max_concurrency"] = max_concurrency
        submission = services.PlanSubmission(
            user_id="benchmark", topic_id="benchmark", goal="Benchmark", steps=drafts, **extra
        )
        with override_settings(PLANGATE_MAX_STEPS=max(steps, 1)):
            return services.plan_submit(team=team or self.team, actor=ACTOR, submission=submission)

    def approve_all(self, plans: list[Plan]) -> None:
        for plan in plans:
            services.plan_approve(plan=plan, actor=ACTOR, version=plan.version)

    def wait_done(self, ids: list[Any], *, timeout: float = 600) -> None:
        """Until none of the plans `ids` is approved or executing; raises CommandError if a step
        did not complete."""
        deadline = time.monotonic() + timeout
        # Asked every 20 ms while the workers run on the same CPUs: one plain statement, not a
        # query built anew with hundreds of ids each time.
        params: list[Any] = [[str(i) for i in ids], list(UNDERWAY)]
        with connection.cursor() as cursor:
            while True:
                cursor.execute(_UNDERWAY_SQL, params)
                row = cursor.fetchone()
                if row is None or not row[0]:
                    break
                if time.monotonic() > deadline:
                    raise CommandError(f"the benchmark's plans did not finish within {timeout:g} s")
                time.sleep(0.02)
        failed = PlanStep.objects.filter(plan_id__in=ids).exclude(status="completed").count()
        if failed:
            raise CommandError(f"{failed} step(s) did not complete; see the workers' logs")

    def analyze(self) -> None:
        # Statistics as autovacuum keeps them on a live database, not those of empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE plans_plan, plans_planstep, plans_planevent")

    def run_plans(
        self, plans: list[Plan], workers: int, concurrency: int | None
    ) -> tuple[float, float]:
        """Approve `plans` with `workers` runworker processes waiting (`concurrency` None: with
        no flags at all); returns steps/s and seconds from the approvals' commit to the last
        plan's end.

        The plans are approved in one transaction, and the clock starts as it commits: the
        workers hear of them all at once, as if everything had been approved before they
        started, and the figure is the workers' alone, not also this process's approving (which
        `latency`, `defaults` and `stream` measure)."""
        ids = [p.pk for p in plans]
        steps = PlanStep.objects.filter(plan_id__in=ids).count()
        self.analyze()
        with self.workers(workers, concurrency):
            with transaction.atomic():
                self.approve_all(plans)
                started = time.monotonic()
            self.wait_done(ids)
            took = time.monotonic() - started
        return steps / took, took

    def throughput(
        self, workers: int, steps: int, per_plan: int, concurrency: int
    ) -> tuple[float, float]:
        """Independent steps in plans of `per_plan`, run by `workers` tuned workers."""
        plans = []
        left = steps
        while left > 0:
            size = min(per_plan, left)
            plans.append(self.submit(size, max_concurrency=concurrency))
            left -= size
        return self.run_plans(plans, workers, concurrency)

    @contextmanager
    def reviewer(self, team: Any) -> Iterator[Client]:
        """A test Client logged in as a reviewer of `team`, for server time in this process (no
        network, no server process); the user is deleted afterwards."""
        user = get_user_model().objects.create_user(
            username=f"benchmark-{os.getpid()}-{time.monotonic_ns()}"
        )
        try:
            Membership.objects.create(team=team, user=user, role=Role.REVIEWER)
            client = Client()
            client.force_login(user)
            with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
                yield client
        finally:
            user.delete()

    def server_times(self, client: Client, path: str, requests: int) -> tuple[list[float], int]:
        """Get `path` `requests` times after one untimed request; the ms each took and the size
        of the last answer in bytes."""
        size = 0
        times: list[float] = []
        for n in range(requests + 1):
            started = time.perf_counter()
            answer = client.get(path)
            took = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise CommandError(f"GET {path} answered {answer.status_code}")
            size = len(answer.content)
            if n:
                times.append(took)
        return times, size

    # --- Processes ---------------------------------------------------------------------------

    @contextmanager
    def workers(self, count: int, concurrency: int | None, *, poll: float = 1) -> Iterator[None]:
        """`count` runworker processes; with `concurrency` None they get no flags at all, as
        an operator starting `manage.py runworker` would run them."""
        env = self.child_env()
        flags: list[str] = []
        if concurrency is not None:
            flags = ["--concurrency", str(concurrency), "--poll", f"{poll:g}"]
        procs = [
            subprocess.Popen(  # noqa: S603 - this interpreter running this project's manage.py
                [sys.executable, str(ROOT / "manage.py"), "runworker", *flags],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            for _ in range(count)
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

    def token(self, *scopes: str) -> str:
        """A token of the run's team with `scopes`, one per set of scopes: the token that
        submits a plan may not decide on it."""
        key = ",".join(sorted(scopes))
        if key not in self._tokens:
            _, self._tokens[key] = services.token_create(
                team=self.team, name=f"benchmark {key}", scopes=list(scopes)
            )
        return self._tokens[key]

    @contextmanager
    def web_server(
        self,
        args: Callable[[int], list[str]],
        token: str,
        probe: str,
        *,
        env: dict[str, str] | None = None,
    ) -> Iterator[str]:
        """Start a web server on a free port; yield its base URL once `probe` answers 200."""
        # httpx logs every request at INFO: a line per request would cost this process the CPU
        # it shares with the servers it measures.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        env = {**self.child_env(), "ALLOWED_HOSTS": "127.0.0.1", **(env or {})}
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

    @contextmanager
    def api_server(self, *, env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
        """The production server (uvicorn, --api-workers processes) on a free port, and a client
        of it sending the submit-and-read token; `decide()` headers approve."""
        token = self.token("plans:submit", "plans:read")
        workers = self.options["api_workers"]
        with (
            self.web_server(
                lambda port: serving.uvicorn_args(host="127.0.0.1", port=port, workers=workers),
                token,
                "/api/v1/plans",
                env=env,
            ) as base_url,
            httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120
            ) as client,
        ):
            yield client

    def decide(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token('plans:decide', 'plans:read')}"}

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
