"""A channel receive cancelled just as it sends its blocking pop to Redis stops, instead of
popping on for a page that has gone (Python 3.11's wait_for swallowed the cancellation)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import pytest
from django.conf import settings
from redis.asyncio.connection import AbstractConnection

from orchestration.channel_layer import RedisChannelLayer
from tests.websockets import require_redis

# Runs with the production services (PostgreSQL and Redis), where REDIS_URL is set.
pytestmark = [pytest.mark.postgres, pytest.mark.asyncio]


async def test_it_stops_a_receive_cancelled_as_its_blocking_pop_is_sent(monkeypatch: Any) -> None:
    require_redis()
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="plangate-test-cancel")
    channel = await layer.new_channel()
    receiving: asyncio.Task[Any] | None = None
    write = AbstractConnection._send_packed_command

    async def write_then_cancel(self: AbstractConnection, command: Iterable[bytes]) -> None:
        await write(self, command)
        if receiving is not None and b"BZPOPMIN" in b"".join(command):
            # As a page closes: the pop is on the wire, and the receive is cancelled before the
            # wait_for around this write has seen the write finish.
            receiving.cancel()

    monkeypatch.setattr(AbstractConnection, "_send_packed_command", write_then_cancel)
    receiving = asyncio.create_task(layer.receive(channel))
    try:
        # Redis answers an empty pop after 5 seconds; a receive that ignored its cancellation
        # would still be waiting for that answer, and pop again after it.
        done, _ = await asyncio.wait({receiving}, timeout=2)
        assert receiving in done
        assert receiving.cancelled()
        # The connection the pop went out on is not reused: its reply would answer the next
        # command.
        await layer.group_add("cancel-check", channel)
        await layer.group_discard("cancel-check", channel)
    finally:
        receiving.cancel()
        await asyncio.gather(receiving, return_exceptions=True)
        await layer.close_pools()
