"""Tells open pages that a plan changed, through the channel layer.

The message is only a nudge carrying the newest event id: pages read what changed from the event
log, so a lost or duplicated nudge costs nothing but a little latency.
"""

from __future__ import annotations

import asyncio
import logging
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


def publish_many(changes: Sequence[tuple[UUID | str, int, int]]) -> None:
    """Nudge the pages of several plans, (plan id, team id, newest event id) each, in one go: the
    worker finishes steps of many plans per transaction. Never raises."""
    layer = get_channel_layer()
    if layer is None or not changes:
        return

    async def send_all() -> None:
        sends = []
        for plan_id, team_id, event_id in changes:
            message = {"type": "plan.changed", "plan_id": str(plan_id), "event_id": event_id}
            sends.append(layer.group_send(plan_group(plan_id), message))
            sends.append(layer.group_send(team_group(team_id), message))
        await asyncio.gather(*sends)

    try:
        async_to_sync(send_all)()
    except Exception:
        # Pages still catch up from the event log on their next poll or reconnect.
        logger.warning("could not publish changes of %d plan(s)", len(changes), exc_info=True)
