"""A failure to drop a received message from its Redis backup is logged, not left in a task that
nobody awaits (asyncio would report it only as "Task exception was never retrieved")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.conf import settings
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from orchestration.channel_layer import RedisChannelLayer
from tests.websockets import require_redis

# Runs with the production services (PostgreSQL and Redis), where REDIS_URL is set.
pytestmark = [pytest.mark.postgres, pytest.mark.asyncio]


async def test_it_logs_a_backup_cleanup_that_fails(monkeypatch: Any, caplog: Any) -> None:
    require_redis()
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="plangate-test-cleanup")
    channel = await layer.new_channel()

    async def lost(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Connection reset by peer")

    try:
        await layer.send(channel, {"type": "plan.changed", "event_id": 1})
        monkeypatch.setattr(Redis, "zpopmin", lost)
        assert await layer.receive(channel) == {"type": "plan.changed", "event_id": 1}
        cleaners = list(layer.receive_cleaners)
        assert cleaners
        await asyncio.wait(cleaners)
        assert [cleaner.exception() for cleaner in cleaners] == [None] * len(cleaners)
        assert "could not drop a received message from its backup" in caplog.text
    finally:
        monkeypatch.undo()
        await layer.flush()
