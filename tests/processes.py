"""Run Plangate's own commands in child processes against the test database.

For tests that need a second process: a worker or a web server that writes and reads the same
database (and channel layer) as the test.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
# prctl(2): the signal a child gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def database_url() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
        "PLANGATE_WORKER_POLL_SECONDS": "0.1",
        "PLANGATE_LIVE_POLL_SECONDS": str(settings.PLANGATE_LIVE_POLL_SECONDS),
    }
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    args: Sequence[str], *, log: Path, app_name: str = "", **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `python <args>` in the project root; stop it (SIGTERM, then SIGKILL after 10 s) on
    exit, however the block ends, and wait for its database sessions to end.

    Its database sessions carry `app_name` (PGAPPNAME; a unique one by default), so a test can
    find them in pg_stat_activity. On Linux the child is also killed if the test process dies
    (pytest killed by a timeout), so no worker outlives the run.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    # Each child's database sessions carry their own application name, to wait for them below.
    app_name = app_name or f"plangate-test-{uuid.uuid4().hex[:12]}"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=child_env(PGAPPNAME=app_name, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            # Between fork and exec only a libc call resolved beforehand: nothing that could
            # wait on a lock another thread of the test process held at the fork.
            preexec_fn=_die_with_parent if _prctl is not None else None,
        )
        try:
            yield child
        finally:
            stop(child)
            wait_for_sessions_to_end(app_name)


def stop(child: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`; returns once it is gone,
    even if interrupted while waiting."""
    try:
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _die_with_parent() -> None:
    """In the child, before exec: have the kernel SIGKILL it when the thread that started it
    ends (with the test process, or the test thread that called running())."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def wait_for_sessions_to_end(app_name: str, timeout: float = 10) -> None:
    """On PostgreSQL, wait until a child's database sessions have ended.

    A child's server-side sessions end a moment after the child does; dropping the test
    database before then fails.
    """
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    # A connection of its own, not Django's: this also runs from async tests.
    with psycopg.connect(database_url(), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError(f"a child process's database session outlived it by {timeout}s")


def wait_for_port(
    port: int, *, timeout: float = 20, child: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and child.poll() is not None:
            raise AssertionError(f"the server exited with {child.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listened on port {port} within {timeout}s")


@dataclass(frozen=True)
class Server:
    address: str  # 127.0.0.1:<port>
    log: Path  # what it printed, its errors and tracebacks included
    app_name: str = ""  # the application_name of its database sessions


@contextmanager
def serving(*, log: Path, **env: str) -> Iterator[Server]:
    """A daphne server running Plangate in a child process, as in production, on the test's
    database and channel layer."""
    port = free_port()
    args = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "orchestration.asgi:application"]
    app_name = f"plangate-test-server-{uuid.uuid4().hex[:12]}"
    with running(args, log=log, app_name=app_name, **env) as child:
        wait_for_port(port, child=child)
        yield Server(address=f"127.0.0.1:{port}", log=log, app_name=app_name)


# What a server logs when something went wrong: an error, a warning or a traceback.
_LOG_PROBLEMS = ("Traceback", " ERROR ", " CRITICAL ", " WARNING ", "Exception")


# A line that starts a new entry: the logger's own, or the server's access log.
_LOG_ENTRY = re.compile(r"\d{4}-\d\d-\d\d |\S+:\d+ - - \[")


def log_problems(log: Path) -> list[str]:
    """The lines of a child's log that report an error, a warning or a traceback, each with the
    lines that go on its entry (a traceback's frames and exception), so a failure shows them."""
    problems: list[str] = []
    in_problem = False
    for line in log.read_text(errors="replace").splitlines():
        if any(problem in line for problem in _LOG_PROBLEMS):
            in_problem = True
        elif _LOG_ENTRY.match(line):
            in_problem = False
        if in_problem:
            problems.append(line)
    return problems
