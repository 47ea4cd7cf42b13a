"""Wake-ups for a follower of one plan: the nudges plans/realtime.py publishes after each commit,
and a poll every PLANGATE_LIVE_POLL_SECONDS.

The poll covers what the channel layer cannot carry: a change made in another process while the
layer is the in-memory one (SQLite, no Redis), and a lost message. A follower reads the database
on every wake-up, so a missed or duplicated nudge costs latency, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Any
from uuid import UUID

from channels.layers import get_channel_layer
from django.conf import settings

from plans import realtime

logger = logging.getLogger(__name__)


class PlanNudges:
    """`async with PlanNudges(plan_id) as nudges: ... await nudges.wait(seconds)`.

    Joined on entry, so a change that commits between the caller's read and its wait still
    wakes it: enter before the first read.
    """

    def __init__(self, plan_id: UUID | str) -> None:
        self.group = realtime.plan_group(plan_id)
        self._layer: Any = None
        self._channel = ""
        self._listener: asyncio.Task[None] | None = None
        self._nudged = asyncio.Event()

    async def __aenter__(self) -> PlanNudges:
        layer = get_channel_layer()
        if layer is None:
            return self
        try:
            self._channel = await layer.new_channel(prefix="plan-follower.")
            await layer.group_add(self.group, self._channel)
        except Exception:
            # Polling alone still finds every change, a second later at most.
            logger.warning("could not join %s; polling only", self.group, exc_info=True)
            return self
        self._layer = layer
        self._listener = asyncio.create_task(self._listen())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        if self._layer is not None:
            try:
                await self._layer.group_discard(self.group, self._channel)
            except Exception:
                # The membership expires with the layer's group expiry.
                logger.warning("could not leave %s", self.group, exc_info=True)

    async def _listen(self) -> None:
        while True:
            try:
                await self._layer.receive(self._channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("lost the nudges of %s; polling only", self.group, exc_info=True)
                return
            self._nudged.set()

    async def wait(self, seconds: float) -> None:
        """Return on the next nudge, at the next poll, or after `seconds`, whichever is first."""
        timeout = max(0.0, min(seconds, settings.PLANGATE_LIVE_POLL_SECONDS))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._nudged.wait(), timeout)
        self._nudged.clear()
