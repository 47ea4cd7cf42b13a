"""Tells open pages that a plan changed, through the channel layer.

The message is only a nudge carrying the newest event id: pages read what changed from the event
log, so a lost or duplicated nudge costs nothing but a little latency.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def plan_group(plan_id: UUID | str) -> str:
    return f"plan.{plan_id}"


def team_group(team_id: int) -> str:
    return f"team.{team_id}"


def publish(*, plan_id: UUID | str, team_id: int, event_id: int) -> None:
    """Nudge the plan's page and its team's list pages. Never raises: the change is committed."""
    publish_many([(plan_id, team_id, event_id)])


class _Sender:
    """An event loop on a thread of its own that sends nudges without the caller waiting.

    Nudges waiting to be sent are merged by plan, keeping the newest event id: a page reads
    everything after the id it has seen, so one nudge carries all of them. However many
    transactions a busy worker commits, each plan gets at most one nudge per round trip to the
    channel layer.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="plangate-publish", daemon=True
        )
        self._lock = threading.Lock()
        # plan id -> (team id, newest event id), waiting to be sent.
        self._waiting: dict[str, tuple[int, int]] = {}
        self._draining = False
        self.thread.start()

    def add(self, changes: Sequence[tuple[UUID | str, int, int]]) -> None:
        with self._lock:
            for plan_id, team_id, event_id in changes:
                key = str(plan_id)
                known = self._waiting.get(key)
                if known is None or event_id > known[1]:
                    self._waiting[key] = (team_id, event_id)
            if self._draining:
                return
            self._draining = True
        asyncio.run_coroutine_threadsafe(self._drain(), self.loop)

    async def _drain(self) -> None:
        while True:
            with self._lock:
                batch, self._waiting = self._waiting, {}
                if not batch:
                    self._draining = False
                    return
            try:
                await _send([(plan, team, event) for plan, (team, event) in batch.items()])
            except Exception:
                logger.warning("could not publish changes of %d plan(s)", len(batch), exc_info=True)

    def stop(self, timeout: float) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        try:
            asyncio.run_coroutine_threadsafe(drain(), self.loop).result(timeout + 1)
        except Exception:
            logger.warning("nudges still being sent at shutdown were dropped", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        if not self.thread.is_alive():
            self.loop.close()


_sender: _Sender | None = None


def publish_in_background() -> None:
    """From now on, send this process's nudges from a thread of its own, not waiting for them.

    For the worker: each of its transactions publishes after commit, and a round trip to the
    channel layer (a new event loop and Redis connection per call when sent in the caller's
    thread) would cost each step more than recording it. A nudge lost at a crash costs nothing
    but latency (see above). Stop with publish_in_foreground().
    """
    global _sender
    if _sender is None:
        # The layer is built now (for Redis that imports its client, over 100 ms), not at the
        # first nudge, where the sending thread would hold the interpreter while the worker
        # runs its first steps.
        get_channel_layer()
        _sender = _Sender()


def publish_in_foreground(timeout: float = 2.0) -> None:
    """Send the nudges still queued (waiting up to `timeout`), then publish in the caller's
    thread again."""
    global _sender
    sender, _sender = _sender, None
    if sender is not None:
        sender.stop(timeout)


async def _send(changes: Sequence[tuple[UUID | str, int, int]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    sends = []
    for plan_id, team_id, event_id in changes:
        message = {"type": "plan.changed", "plan_id": str(plan_id), "event_id": event_id}
        sends.append(layer.group_send(plan_group(plan_id), message))
        sends.append(layer.group_send(team_group(team_id), message))
    await asyncio.gather(*sends)


def publish_many(changes: Sequence[tuple[UUID | str, int, int]]) -> None:
    """Nudge the pages of several plans, (plan id, team id, newest event id) each, in one go: the
    worker finishes steps of many plans per transaction. Never raises."""
    if not changes or get_channel_layer() is None:
        return
    sender = _sender
    if sender is not None:
        sender.add(changes)
        return
    try:
        async_to_sync(_send)(changes)
    except Exception:
        # Pages still catch up from the event log on their next poll or reconnect.
        logger.warning("could not publish changes of %d plan(s)", len(changes), exc_info=True)
