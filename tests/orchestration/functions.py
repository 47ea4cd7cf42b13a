"""python-executor functions for worker tests. In-process tests allow them with the
`allow_functions` fixture; worker processes get them through PLANGATE_TEST_FUNCTIONS
(tests/settings.py), as `FUNCTIONS` lists them."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from executors.protocol import StepSpec

FUNCTIONS = {
    "kill_own_worker": f"{__name__}.kill_own_worker",
    "hang": f"{__name__}.hang",
    "nap_and_record": f"{__name__}.nap_and_record",
    "fetch_source": f"{__name__}.fetch_source",
}
FUNCTIONS_ENV = json.dumps(FUNCTIONS)


def kill_own_worker(spec: StepSpec) -> None:
    """SIGKILLs the worker process running it: a step that crashes its worker every time."""
    os.kill(os.getpid(), signal.SIGKILL)


def hang(spec: StepSpec) -> dict[str, Any]:
    """Sleeps params.seconds (30 by default) and ignores spec.cancelled: a hung call."""
    time.sleep(float(spec.params.get("seconds", 30)))
    return {"slept": True}


def nap_and_record(spec: StepSpec) -> dict[str, Any]:
    """Sleeps up to params.seconds, waking when cancelled, then appends one JSON line to the file
    params.record: {"plan", "step", "attempt", "pid", "started", "returned", "cancelled"} (times
    by the wall clock)."""
    started = time.time()
    cancelled = spec.cancelled.wait(float(spec.params["seconds"]))
    line = {
        "plan": spec.plan_id,
        "step": spec.step_key,
        "attempt": spec.attempt,
        "pid": os.getpid(),
        "started": started,
        "returned": time.time(),
        "cancelled": cancelled,
    }
    with Path(spec.params["record"]).open("a") as out:
        out.write(json.dumps(line) + "\n")
    return {"cancelled": cancelled}


def fetch_source(spec: StepSpec) -> dict[str, Any]:
    """Fetches from params.source: "good" works; any other source fails as bad input (not
    retried), as a step with a wrong parameter does until a reviewer fixes it."""
    source = spec.params.get("source")
    if source != "good":
        raise ValueError(f"unknown source {source!r}")
    return {"fetched": source}
