"""`manage.py runworker` as a process: runs plans, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from plans.models import Plan
from tests.factories import approve, step, submit_plan
from tests.orchestration.support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    """The test database as a DATABASE_URL, for a process started by the test."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    host = quote(db.get("HOST") or "localhost", safe="")  # a socket directory is a path
    port = db.get("PORT") or "5432"
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


def test_it_runs_plans_until_sent_sigterm(team, tmp_path: Path):
    plan = approve(submit_plan(team, [step("a"), step("b", "a")]))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "orchestration.settings",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "runworker", "--poll", "0.1", "--name", "proc"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: (
                    Plan.objects.get(pk=plan.pk).status == "completed" or worker.poll() is not None
                ),
                "the worker to complete the plan",
                timeout=30,
            )
            assert worker.poll() is None, log_path.read_text()
            worker.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            code = worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    output = log_path.read_text()
    assert code == 0, output
    assert time.monotonic() - sent < 5, output
    assert "worker proc stopped" in output
    assert Plan.objects.get(pk=plan.pk).status == "completed"
