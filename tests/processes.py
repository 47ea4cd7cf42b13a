"""Run Plangate's own commands in child processes against the test database.

For tests that need a second process: a worker or a web server that writes and reads the same
database (and channel layer) as the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


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
def running(args: Sequence[str], *, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start `python <args>` in the project root; stop it (SIGTERM, then SIGKILL) on exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    # Each child's database sessions carry their own application name, to wait for them below.
    app_name = f"plangate-test-{uuid.uuid4().hex[:12]}"
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            env=child_env(PGAPPNAME=app_name, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield child
        finally:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            wait_for_sessions_to_end(app_name)


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
