"""`runworker` processes for the PostgreSQL reliability tests: start them, kill them as a crash
would, start others in their place, find their database sessions; and check, from the event
log, what they did."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

import psycopg
from django.utils import timezone

from plans.models import Plan, PlanEvent
from tests.processes import database_url, running


@dataclass
class WorkerProcess:
    name: str
    app_name: str
    process: subprocess.Popen[bytes]
    log: Path
    killed_at: datetime | None = None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> datetime:
        """SIGKILL it, as the OOM killer or a lost machine would: no shutdown, no release of its
        steps. Returns when (the database's clock is this machine's)."""
        self.killed_at = timezone.now()
        self.process.kill()
        self.process.wait()
        return self.killed_at

    def output(self, last: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-last:]


class WorkerProcesses:
    """Starts `manage.py runworker` children; each is stopped when `stack` closes (SIGTERM, then
    SIGKILL), and its database sessions gone, whether the test passed or not."""

    def __init__(
        self, stack: ExitStack, log_dir: Path, *, args: Sequence[str] = (), **env: str
    ) -> None:
        self.stack = stack
        self.log_dir = log_dir
        self.args = list(args)
        self.env = env
        self.started: list[WorkerProcess] = []

    def start(self, name: str, *args: str, **env: str) -> WorkerProcess:
        app_name = f"plangate-test-{name}-{uuid.uuid4().hex[:8]}"
        log = self.log_dir / f"{name}.log"
        command = ["manage.py", "runworker", "--name", name, "--grace", "1", *self.args, *args]
        process = self.stack.enter_context(
            running(command, log=log, app_name=app_name, **{**self.env, **env})
        )
        worker = WorkerProcess(name=name, app_name=app_name, process=process, log=log)
        self.started.append(worker)
        return worker

    @property
    def alive(self) -> list[WorkerProcess]:
        return [w for w in self.started if w.alive]

    def wait_until_listening(self, workers: Sequence[WorkerProcess], timeout: float = 30) -> None:
        """Until each worker holds its LISTEN connection: it is up and hears notifications."""
        deadline = time.monotonic() + timeout
        waiting = {w.app_name: w for w in workers}
        while waiting:
            for worker in waiting.values():
                assert worker.alive, f"{worker.name} exited early:\n{worker.output()}"
            waiting = {
                name: w for name, w in waiting.items() if name not in listening(list(waiting))
            }
            if waiting and time.monotonic() > deadline:
                names = ", ".join(w.name for w in waiting.values())
                raise AssertionError(f"not listening after {timeout}s: {names}")
            time.sleep(0.05)


def listening(app_names: list[str]) -> set[str]:
    """Which of these application names have a session whose last statement was LISTEN."""
    with psycopg.connect(database_url(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT application_name FROM pg_stat_activity "
            "WHERE application_name = ANY(%s) AND query ILIKE 'LISTEN%%'",
            [app_names],
        ).fetchall()
    return {row[0] for row in rows}


def backends(app_names: list[str]) -> list[int]:
    with psycopg.connect(database_url(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = ANY(%s)", [app_names]
        ).fetchall()
    return [row[0] for row in rows]


def terminate_backends(app_names: list[str]) -> list[str]:
    """pg_terminate_backend every session of these applications (LISTEN ones included), as a
    database restart or a failover would. Returns the application name of each one ended."""
    with psycopg.connect(database_url(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = ANY(%s)",
            [app_names],
        ).fetchall()
    return sorted(name for name, ended in rows if ended)


# The events that end the attempt a step.started began.
ENDS_ATTEMPT = frozenset(
    {"step.completed", "step.failed", "step.retrying", "step.reclaimed", "step.released"}
)


def step_histories(plans: Sequence[Plan]) -> dict[tuple[UUID, str], list[PlanEvent]]:
    """Each step's events (plan id, step key), oldest first."""
    histories: dict[tuple[UUID, str], list[PlanEvent]] = defaultdict(list)
    for event in PlanEvent.objects.filter(plan__in=plans, kind__startswith="step.").order_by("id"):
        histories[(event.plan_id, event.step_key)].append(event)
    return histories


def assert_one_attempt_at_a_time(history: list[PlanEvent]) -> None:
    """Every step.started is followed by the end of that attempt before the next one starts: no
    two workers ever held the step at once. (A plan's events are written under its row lock, so
    their id order is the order things happened in.)"""
    for i, event in enumerate(history):
        ok = event.kind == "step.started" if i % 2 == 0 else event.kind in ENDS_ATTEMPT
        assert ok, ", ".join(f"{e.kind} {e.data}" for e in history)
