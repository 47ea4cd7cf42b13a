"""`manage.py demo` in a terminal: one Ctrl-C stops the web server and the worker cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.orchestration.support import wait_for
from tests.processes import ROOT, _die_with_parent, child_env, free_port, wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)


def children_of(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(sys.platform != "linux", reason="reads a process's children from /proc")
def test_it_stops_the_server_and_the_worker_on_one_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--port", str(port)],
            cwd=ROOT,
            env=child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own process group, as a shell gives a foreground job: Ctrl-C in a terminal
            # sends SIGINT to every process of that group.
            process_group=0,
            preexec_fn=_die_with_parent,
        )
    try:
        wait_for_port(port, timeout=60, child=demo)
        wait_for(lambda: " started: " in log.read_text(), "the worker to start", timeout=60)
        children = children_of(demo.pid)
        assert len(children) == 2, log.read_text()

        os.killpg(demo.pid, signal.SIGINT)
        sent = time.monotonic()
        code = demo.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()

    output = log.read_text()
    assert "second signal" not in output
    assert " stopped" in output  # the worker's own last words: it shut down gracefully
    assert "exited with status" not in output  # demo names a child that did not exit with 0
    assert code == 0, output
    assert took < 20, output
    assert not [pid for pid in children if alive(pid)], output
