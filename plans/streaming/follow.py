"""Following a plan: every event from a point on, or until a decision or the end.

Both join the plan's nudges before reading, read on every wake-up, and hold no database
connection while they wait (plans/streaming/reads.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from plans.streaming import reads
from plans.streaming.nudges import PlanNudges

# Events read at a time; a follower far behind reads again at once until it has caught up.
BATCH = 200


@dataclass(frozen=True)
class KeepAlive:
    """Nothing happened for a while; the connection is still alive."""


@dataclass(frozen=True)
class End:
    """The plan has ended and every event up to its end was given; `state` is the final one.
    `resume` is false: following again gives nothing new."""

    state: reads.PlanState


Item = dict[str, Any] | KeepAlive | End


async def follow(
    *,
    team_id: int,
    plan_id: UUID | str,
    after: int,
    keepalive_seconds: float,
    max_seconds: float,
) -> AsyncIterator[Item]:
    """The plan's events with an id above `after`, oldest first (each as PlanEvent.as_dict()),
    as they happen, with a KeepAlive after `keepalive_seconds` without one; then End once the
    plan has ended and its last event was given. After `max_seconds` it stops without End:
    follow again from the last id given.

    A plan's events commit in id order (each under the plan's row lock), so following again
    from the last id given misses none and repeats none.
    """
    loop = asyncio.get_running_loop()
    started = last_sent = loop.time()
    async with PlanNudges(plan_id) as nudges:
        while True:
            snap = await reads.off_loop(reads.snapshot)(
                team_id=team_id, plan_id=plan_id, after=after, limit=BATCH
            )
            for event in snap.events:
                yield event
                after = event["id"]
            if snap.events:
                last_sent = loop.time()
            if len(snap.events) == BATCH:
                continue
            if snap.state.ended:
                yield End(state=snap.state)
                return
            now = loop.time()
            if now - started >= max_seconds:
                return
            if now - last_sent >= keepalive_seconds:
                yield KeepAlive()
                last_sent = now
            await nudges.wait(
                min(last_sent + keepalive_seconds, started + max_seconds) - loop.time()
            )


class Until(StrEnum):
    DECISION = "decision"
    END = "end"


@dataclass(frozen=True)
class WaitResult:
    done: bool  # false: the time ran out first
    state: reads.PlanState
    waited_seconds: float


def reached(state: reads.PlanState, until: Until) -> bool:
    return state.ended if until == Until.END else state.decided


async def wait_for(
    *, team_id: int, plan_id: UUID | str, until: Until, timeout: float
) -> WaitResult:
    """Return as soon as the plan is decided (`until=DECISION`: no longer a draft) or has
    ended (`until=END`), or after `timeout` seconds with its state then. Raises
    Plan.DoesNotExist for another team's plan, before waiting."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    read = reads.off_loop(reads.plan_state)
    state = await read(team_id=team_id, plan_id=plan_id)
    if reached(state, until) or timeout <= 0:
        return WaitResult(done=reached(state, until), state=state, waited_seconds=0.0)
    async with PlanNudges(plan_id) as nudges:
        while True:
            # Read after joining: a decision committed before the join is seen here, one
            # committed after it nudges (or is found by the next poll).
            state = await read(team_id=team_id, plan_id=plan_id)
            remaining = started + timeout - loop.time()
            if reached(state, until) or remaining <= 0:
                waited = loop.time() - started
                return WaitResult(done=reached(state, until), state=state, waited_seconds=waited)
            await nudges.wait(remaining)
