"""Helpers for worker tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

from orchestration.engine.worker import Worker
from plans.models import Plan, PlanEvent, PlanStep
from tests.factories import approve, list_step, step, submit_plan


def run_until_idle(worker: Worker, timeout: float = 10) -> None:
    """Call run_once() until nothing is left to do and no step runs; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while worker.run_once() or worker.running:
        if time.monotonic() > deadline:
            raise AssertionError(f"the worker still had work after {timeout}s: {worker.running}")
        time.sleep(0.01)


def run_in_thread(worker: Worker) -> threading.Thread:
    """Start `worker.run_forever()` in a thread of its own (which closes its database
    connection when it ends); stop it with worker.stop() and join the thread."""

    def run() -> None:
        try:
            worker.run_forever()
        finally:
            connection.close()

    loop = threading.Thread(target=run)
    loop.start()
    return loop


def run_until(
    worker: Worker, condition: Callable[[], object], what: str, timeout: float = 10
) -> None:
    """Call run_once() until `condition()` holds; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        worker.run_once()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def steps_of(plan: Plan) -> dict[str, PlanStep]:
    return {s.key: s for s in PlanStep.objects.filter(plan=plan)}


def events_of(plan: Plan) -> list[tuple[str, str]]:
    """(kind, step key) of the plan's events, oldest first."""
    return list(plan.events.order_by("id").values_list("kind", "step_key"))


def fanned_out(team: Any, worker: Worker, items: list[Any], max_concurrency: int = 1) -> Plan:
    """An approved plan whose step `each` fans out over the list step `list`, run until its
    items exist (none of them run yet beyond the first `max_concurrency`)."""
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", items),
                step("each", "list", for_each={"over": "list", "max_concurrency": max_concurrency}),
            ],
        )
    )
    run_until(
        worker,
        lambda: PlanEvent.objects.filter(plan=plan, kind="step.expanded").exists(),
        "the fan-out",
    )
    return plan
