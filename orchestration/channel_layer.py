"""The Redis channel layer, with connections fit for its blocking reads.

channels_redis waits for messages with a blocking pop (BZPOPMIN) that Redis answers after at most
`brpop_timeout` (5) seconds, empty-handed if nothing came. redis-py 8 gives every connection a
5-second socket timeout and caps a pool at 100 connections, raising at once when all are in use;
channels_redis takes redis-py's defaults. So an idle page's pop was cut by the socket timeout
(the server then closed every live socket with 1011 after about 5 seconds), and a burst of pages
closing at once, each leaving its groups on a connection of its own, ran out of connections
("Too many connections").
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.asyncio import ConnectionPool

# Longer than a blocking pop can take (Redis may answer up to a second after its timeout), so
# only a connection that is really dead times out; the 5-second pop itself ends well within it.
SOCKET_TIMEOUT_MARGIN_SECONDS = 5.0
# Connections one server process may hold at once. A page holds none of its own: the blocking
# pop takes one for the whole process, and each join, leave or send one for a round trip, so a
# burst of N pages opening or closing together needs up to N. redis-py before 8 had no cap; this
# one keeps a runaway burst well under Redis's own limit (maxclients, 10000 by default).
MAX_CONNECTIONS = 1000


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
        # Not redis-py's BlockingConnectionPool, which would queue a burst instead: a task
        # cancelled just as it starts its first blocking pop on one (a socket refused at once)
        # was seen to keep waiting on Redis, and daphne killed it 10 seconds later.
        options.setdefault("max_connections", MAX_CONNECTIONS)
        return ConnectionPool.from_url(address, **options)
