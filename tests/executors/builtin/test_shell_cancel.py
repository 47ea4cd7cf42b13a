"""Cancelling a shell step (a plan cancel, the worker's timeout) leaves no process of it alive."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from executors.builtin.shell import ShellExecutor
from executors.protocol import FailureClass, StepSpec
from tests.executors.procs import alive, all_gone, live_members

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="tells live processes by /proc")

# Starts two sleepers, then writes "<own pid> <sleeper> <sleeper>" to the file named by $1 (in
# one rename, so a reader never sees half of it) and waits for them.
SLEEPERS = 'sleep 30 & a=$!; sleep 30 & b=$!; echo "$$ $a $b" > "$1.tmp"; mv "$1.tmp" "$1"; wait'


@pytest.fixture(autouse=True)
def commands(settings: Any) -> None:
    settings.PLANGATE_SHELL_COMMANDS = {
        "sleepers": ["sh", "-c", SLEEPERS, "sh"],
        # Ignores SIGTERM, as do the sleepers it starts (an ignored signal stays ignored across
        # exec): only SIGKILL stops them.
        "stubborn": ["sh", "-c", f"trap '' TERM; {SLEEPERS}", "sh"],
    }


def spec(command: str, pid_file: Path, timeout: float | None = None) -> StepSpec:
    return StepSpec(
        plan_id="p1",
        step_key="s",
        task="t",
        params={"command": command, "args": [str(pid_file)]},
        timeout=timeout,
    )


async def started(task: asyncio.Task[Any], pid_file: Path) -> list[int]:
    """The pids the command wrote, once all three processes run, checked to be one group."""
    deadline = time.monotonic() + 5
    while not pid_file.exists():
        assert not task.done(), task.result()
        assert time.monotonic() < deadline, "the command did not start"
        await asyncio.sleep(0.01)
    pids = [int(pid) for pid in pid_file.read_text().split()]
    leader = pids[0]
    assert all(alive(pid) for pid in pids)
    # Its own group, led by the command, apart from the test's.
    assert {os.getpgid(pid) for pid in pids} == {leader}
    assert leader != os.getpgid(0)
    # The `mv` that wrote the file may not have exited yet when the file appears: give it a
    # moment, then the group must be exactly the three.
    while sorted(live_members(leader)) != sorted(pids) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert sorted(live_members(leader)) == sorted(pids)
    return pids


# Zombies count as gone: the sleepers, orphaned when sh dies, are reaped by PID 1, which in a
# container may never do it. So the checks read /proc rather than os.killpg(pgid, 0).


@pytest.mark.asyncio
@pytest.mark.parametrize("command", ["sleepers", "stubborn"])
async def test_it_kills_the_whole_process_group_when_cancelled(tmp_path, command):
    pid_file = tmp_path / "pids"
    task = asyncio.create_task(ShellExecutor().run(spec(command, pid_file)))
    pids = await started(task, pid_file)

    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await all_gone(pids, pids[0], within=2 - (time.monotonic() - cancelled_at))


@pytest.mark.asyncio
async def test_it_kills_the_whole_process_group_when_a_wait_for_times_out(tmp_path):
    pid_file = tmp_path / "pids"
    run = asyncio.ensure_future(
        asyncio.wait_for(ShellExecutor().run(spec("sleepers", pid_file)), timeout=1)
    )
    pids = await started(run, pid_file)
    with pytest.raises(TimeoutError):
        await run
    assert await all_gone(pids, pids[0], within=2)


@pytest.mark.asyncio
async def test_it_kills_the_whole_process_group_when_the_steps_timeout_strikes(tmp_path):
    pid_file = tmp_path / "pids"
    task = asyncio.create_task(ShellExecutor().run(spec("stubborn", pid_file, timeout=1)))
    pids = await started(task, pid_file)
    outcome = await task
    assert outcome.failure_class == FailureClass.TIMEOUT
    assert await all_gone(pids, pids[0], within=2)
