"""Cancelling a plan stops its running steps within a second, in the worker process running
them: a shell command's whole process group, and a sync function told through spec.cancelled."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from plans import services
from plans.models import PlanEvent
from tests.factories import approve, step, submit_plan
from tests.orchestration.functions import FUNCTIONS, FUNCTIONS_ENV
from tests.orchestration.support import steps_of, wait_for
from tests.orchestration.workers import WorkerProcesses

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STOPPED_WITHIN = 1.0


def group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is in the process group."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state not in {"Z", "X"}:
            return True
    return False


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def test_cancelling_a_plan_stops_its_running_steps_within_a_second(
    team: Any, tmp_path: Path, settings: Any, allow_functions: Any
) -> None:
    pidfile, record = tmp_path / "nap.pid", tmp_path / "runs.jsonl"
    commands = {"nap": ["sh", "-c", f"echo $$ > {pidfile}; exec sleep 30"]}
    settings.PLANGATE_SHELL_COMMANDS = commands
    allow_functions(nap_and_record=FUNCTIONS["nap_and_record"])
    plan = submit_plan(
        team,
        [
            step("shell", executor="shell", params={"command": "nap"}),
            step(
                "sync",
                executor="python",
                params={"function": "nap_and_record", "seconds": 30, "record": str(record)},
            ),
            step("later", "shell", "sync"),
        ],
    )
    pgid = 0
    with ExitStack() as stack:
        workers = WorkerProcesses(
            stack,
            tmp_path,
            # A long poll: only the worker's checks of its running steps (on a notification, or
            # every CANCEL_CHECK_SECONDS) can stop them in time.
            args=["--concurrency", "2", "--poll", "5"],
            PLANGATE_SHELL_COMMANDS=json.dumps(commands),
            PLANGATE_TEST_FUNCTIONS=FUNCTIONS_ENV,
        )
        worker = workers.start("w")
        workers.wait_until_listening([worker])
        approve(plan)
        wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), "the command to start")
        pgid = int(pidfile.read_text())
        # Whatever happens below, the command does not outlive the test.
        stack.callback(kill_group, pgid)
        wait_for(
            lambda: (
                {s.status for s in steps_of(plan).values() if s.key != "later"} == {"in_progress"}
            ),
            "both steps to run",
        )
        assert group_alive(pgid)

        cancelled = time.time()
        services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="wrong target")

        wait_for(lambda: not group_alive(pgid), "the command to be stopped", timeout=5)
        shell_stopped = time.time() - cancelled
        wait_for(lambda: record.exists(), "the function to return", timeout=5)
        (run,) = [json.loads(line) for line in record.read_text().splitlines()]
        assert worker.alive, worker.output()

    assert shell_stopped < STOPPED_WITHIN, f"the command ran {shell_stopped:.2f}s past the cancel"
    assert run["cancelled"] is True
    assert run["returned"] - cancelled < STOPPED_WITHIN, run
    steps = steps_of(plan)
    for key in ("shell", "sync"):
        assert (steps[key].status, steps[key].failure_class) == ("failed", "cancelled")
        assert steps[key].result is None
    assert steps["later"].status == "skipped"
    # The worker's late outcomes were refused: nothing after the cancel.
    assert PlanEvent.objects.filter(plan=plan).order_by("id").last().kind == "plan.cancelled"
    print(
        f"\ncancel: the command stopped {shell_stopped:.3f}s, the function returned "
        f"{run['returned'] - cancelled:.3f}s after the cancel"
    )
