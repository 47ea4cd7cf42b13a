"""Telling live processes from gone ones, for the shell executor's tests (Linux /proc)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path


def _state_and_group(stat: str) -> tuple[str, int]:
    # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
    return state, int(pgrp)


def alive(pid: int) -> bool:
    """Whether the process runs. A zombie does not: it is dead, only not yet reaped (and the
    orphans of a killed command are reaped by PID 1, which in a container may never do it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return _state_and_group(stat)[0] not in {"Z", "X"}


def live_members(pgid: int) -> list[int]:
    """The live processes of a process group."""
    members = []
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            state, group = _state_and_group(stat)
            if group == pgid and state not in {"Z", "X"}:
                members.append(int(entry.name))
    return members


async def all_gone(pids: list[int], pgid: int, *, within: float) -> bool:
    """Polls until none of `pids` and no member of group `pgid` runs; False after `within` s."""
    deadline = time.monotonic() + within
    while any(alive(pid) for pid in pids) or live_members(pgid):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True
