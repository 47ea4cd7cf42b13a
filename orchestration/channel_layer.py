"""The Redis channel layer, with connections fit for its blocking reads.

channels_redis waits for messages with a blocking pop (BZPOPMIN) that Redis answers after at most
`brpop_timeout` (5) seconds, empty-handed if nothing came. redis-py 8 gives every connection a
5-second socket timeout and caps a pool at 100 connections, raising at once when all are in use;
channels_redis takes redis-py's defaults. So an idle page's pop was cut by the socket timeout
(the server then closed every live socket with 1011 after about 5 seconds), and a burst of pages
closing at once, each leaving its groups on a connection of its own, ran out of connections
("Too many connections").

On Python 3.11, redis-py's writes go through `asyncio.wait_for`, which returns the write's result
instead of raising when the task is cancelled just as the write completes (CPython gh-86296,
fixed in 3.12). A page that closed while its socket's channel receive was sending the blocking
pop then never stopped: the cancelled receive went on popping for a consumer that was gone,
holding the layer's receive lock, and the server had to kill it (or log its failure as a task
exception nobody retrieved). The connections here raise the cancellation that the write
swallowed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Longer than a blocking pop can take (Redis may answer up to a second after its timeout), so
# only a connection that is really dead times out; the 5-second pop itself ends well within it.
SOCKET_TIMEOUT_MARGIN_SECONDS = 5.0
# Connections one server process may hold at once. A page holds none of its own: the blocking
# pop takes one for the whole process, and each join, leave or send one for a round trip, so a
# burst of N pages opening or closing together needs up to N. redis-py before 8 had no cap; this
# one keeps a runaway burst well under Redis's own limit (maxclients, 10000 by default).
MAX_CONNECTIONS = 1000


class _WriteHonoursCancellation(AbstractConnection):
    """Mixed into the pool's connection class: a write during which the task was cancelled
    raises CancelledError, as it would on Python 3.12."""

    async def send_packed_command(
        self, command: bytes | str | Iterable[bytes], check_health: bool = True
    ) -> None:
        task = asyncio.current_task()
        requested = task.cancelling() if task is not None else 0
        await super().send_packed_command(command, check_health)
        if task is not None and task.cancelling() > requested:
            # The command went out but its reply will never be read: a connection handed back
            # to the pool like this would give the next command this one's reply.
            await self.disconnect(nowait=True)
            raise asyncio.CancelledError


_honouring: dict[type[AbstractConnection], type[AbstractConnection]] = {}


def _honouring_cancellation(base: type[AbstractConnection]) -> type[AbstractConnection]:
    """`base` (plain, TLS or Unix socket, as the URL says) with _WriteHonoursCancellation."""
    if issubclass(base, _WriteHonoursCancellation):
        return base
    if base not in _honouring:
        _honouring[base] = type(base.__name__, (_WriteHonoursCancellation, base), {})
    return _honouring[base]


class RedisChannelLayer(_RedisChannelLayer):
    """channels_redis's layer with its pool's read timeout and size set for how it reads.

    A host may be given as a URL or as a dict with "address" and pool options; options in the
    URL's query (`?max_connections=2000`) win over both, as redis-py reads them.
    """

    def create_pool(self, index: int) -> ConnectionPool:
        options: dict[str, Any] = dict(self.hosts[index])
        address = options.pop("address")
        options.setdefault("socket_timeout", self.brpop_timeout + SOCKET_TIMEOUT_MARGIN_SECONDS)
        options.setdefault("socket_connect_timeout", 5.0)
        # Not redis-py's BlockingConnectionPool, which would queue a burst instead.
        options.setdefault("max_connections", MAX_CONNECTIONS)
        pool = ConnectionPool.from_url(address, **options)
        pool.connection_class = _honouring_cancellation(pool.connection_class)
        return pool

    async def _clean_receive_backup(self, index: int, channel: str) -> None:
        # channels_redis runs this in a task of its own that nobody awaits, so a failure would
        # only surface as "Task exception was never retrieved" when the task is collected. A
        # message left in the backup is put back on the channel by the next pop and delivered
        # again: a repeated "changed", which a page handles like any other.
        try:
            await super()._clean_receive_backup(index, channel)
        except RedisError:
            logger.warning("could not drop a received message from its backup", exc_info=True)
