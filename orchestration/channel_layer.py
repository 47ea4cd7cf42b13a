"""The Redis channel layer, with connections fit for its blocking reads.

channels_redis waits for messages with a blocking pop (BZPOPMIN) that Redis answers after at most
`brpop_timeout` (5) seconds, empty-handed if nothing came. redis-py 8 gives every connection a
5-second socket timeout and caps a pool at 100 connections, raising at once when all are in use;
channels_redis takes redis-py's defaults. So an idle page's pop could be cut by the socket timeout
(the server then closes every live socket with 1011 after about 5 seconds), and a burst of pages
closing at once, each leaving its groups on a connection of its own, ran out of connections
("Too many connections").
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.asyncio import BlockingConnectionPool

# Longer than a blocking pop can take (Redis may answer up to a second after its timeout), so
# only a connection that is really dead times out; the 5-second pop itself ends well within it.
SOCKET_TIMEOUT_MARGIN_SECONDS = 5.0
# Connections one process's pool may hold: one is taken by the blocking pop, the rest serve
# joins, leaves and sends, each for a round trip.
MAX_CONNECTIONS = 50
# How long a join, leave or send waits for a free connection before it fails.
POOL_WAIT_SECONDS = 10.0


class RedisChannelLayer(_RedisChannelLayer):
    """channels_redis's layer on a blocking connection pool with timeouts set for its pop.

    A host may be given as a URL or as a dict with "address" and pool options; options given in
    the URL's query (`?max_connections=100`) win over both, as redis-py reads them.
    """

    def create_pool(self, index: int) -> BlockingConnectionPool:
        options: dict[str, Any] = dict(self.hosts[index])
        address = options.pop("address")
        options.setdefault("socket_timeout", self.brpop_timeout + SOCKET_TIMEOUT_MARGIN_SECONDS)
        options.setdefault("socket_connect_timeout", 5.0)
        options.setdefault("max_connections", MAX_CONNECTIONS)
        # A blocking pool: with all connections in use, the next command waits its turn (up to
        # POOL_WAIT_SECONDS) instead of failing, so a burst of pages closing at once all leave
        # their groups.
        options.setdefault("timeout", POOL_WAIT_SECONDS)
        return BlockingConnectionPool.from_url(address, **options)
