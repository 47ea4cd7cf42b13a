"""Tells open pages that a plan changed, through the channel layer.

The message is only a nudge carrying the newest event id: pages read what changed from the event
log, so a lost or duplicated nudge costs nothing but a little latency.
"""

from __future__ import annotations

import logging
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
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "plan.changed", "plan_id": str(plan_id), "event_id": event_id}
    try:
        send = async_to_sync(layer.group_send)
        send(plan_group(plan_id), message)
        send(team_group(team_id), message)
    except Exception:
        # Pages still catch up from the event log on their next poll or reconnect.
        logger.warning("could not publish event %s of plan %s", event_id, plan_id, exc_info=True)
