"""Live-update sockets for the reviewer pages. They nudge; they never render.

A page connects with ?after=<the last event id it rendered>. The socket sends
{"type": "changed", "last_event_id": N} when there is something newer, and the page fetches its
fragments over HTTP: they carry CSRF tokens and depend on the viewer, so the socket cannot render
them. Nudges come from the channel layer (plans/realtime.py publishes after each commit) and from
a poll of the event log every PLANGATE_LIVE_POLL_SECONDS, which covers a worker in another
process while the channel layer is the in-memory one, and any lost message.

The top bar's inbox count changes with any plan of the teams where the viewer decides. A page
whose own socket does not already cover those plans (a plan's page; the pages without live
content of their own, through ws/inbox/) is also sent {"type": "inbox"} when one of them changes,
and fetches the count alone: the message names no plan and no event, so a plan's page learns
nothing of the team's other plans but the count it then reads. It connects with ?log=<the log
position its count was read at> (see `inbox_count.html`), which the same poll reads the teams'
log past.

A socket that is refused is accepted and closed at once with 4401 (not logged in) or 4403 (not
in the plan's team), so the page can tell that apart from a dropped connection and stop retrying.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from plans import realtime, selectors
from plans.access.selectors import teams_deciding

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# At most one "changed" per this many seconds; a burst ends with one that names its last event.
COALESCE_SECONDS = 0.1
# At most one "inbox" per this many seconds: a count at a glance, and a busy worker in the team
# would otherwise have every open page fetch it ten times a second.
COUNT_COALESCE_SECONDS = 1.0


class _LiveConsumer(AsyncWebsocketConsumer):
    """Announces the event log moving past what the page has shown. Subclasses say which groups
    to join (None: refuse) and where the log of what the page shows ends; those that also keep
    the inbox count live set `count_team_ids` and say which changes are not their page's own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.announced = 0  # the last event id the page has been told of (or has rendered)
        self._pending = 0  # the newest event id heard of; the next flush announces it
        self._last_sent = -math.inf
        self._joined: list[str] = []
        self._poll_task: asyncio.Task[None] | None = None
        self._flush_task: asyncio.Task[None] | None = None
        # The inbox count: the teams it counts (none: this page's socket covers it already), the
        # log position the page's count reflects, and the log read so far for it.
        self.count_team_ids: list[int] = []
        self.own_plan_id: str | None = None  # the plan the page shows, if one: not counted here
        self._count_seen = 0
        self._count_read_up_to = 0
        self._count_last_sent = -math.inf
        self._count_task: asyncio.Task[None] | None = None

    async def groups_for(self, user: Any) -> list[str] | None:
        raise NotImplementedError

    async def latest_event_id(self) -> int:
        raise NotImplementedError

    def is_own(self, message: dict[str, Any]) -> bool:
        """Whether the change is one the page shows (else it only moves the inbox count)."""
        return True

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        groups = await self.groups_for(user)
        if groups is None:
            await self._refuse(CLOSE_FORBIDDEN)
            return
        self.announced = _after(self.scope)
        self._count_seen = _after(self.scope, "log")
        # Join before reading the log: a change that commits in between is then caught by the
        # read or announced by its message, never missed by both. Join before accepting, too, so
        # an open socket is one that hears every message.
        if self.channel_layer is not None:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self._joined.append(group)
        await self.accept()
        # Catch-up: a page that reconnects (or loaded just before a change) is told at once.
        await self._check_log()
        await self._check_count_log()
        self._poll_task = asyncio.create_task(self._poll())

    async def _refuse(self, code: int) -> None:
        # Accept, then close with the reason: a socket refused during the handshake reaches the
        # page as a bare 1006, which it would take for a dropped connection and retry forever.
        await self.accept()
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        for task in (self._poll_task, self._flush_task, self._count_task):
            if task is not None:
                task.cancel()
        for group in self._joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Pages send nothing; anything they do send is ignored."""

    async def plan_changed(self, message: dict[str, Any]) -> None:
        # Announced even when not newer than what was announced: across a team's plans, events
        # may commit out of id order, and the list page must still refetch.
        if self.is_own(message):
            self._announce(int(message["event_id"]))
        else:
            self._nudge_count(int(message["event_id"]))

    async def _poll(self) -> None:
        loop = asyncio.get_running_loop()
        count_checked = loop.time()
        while True:
            await asyncio.sleep(settings.PLANGATE_LIVE_POLL_SECONDS)
            try:
                await self._check_log()
                # The count's own read is rarer: it costs two queries, and a hundred pages open
                # on a busy plan would otherwise spend the server's time on a number at a glance.
                if loop.time() - count_checked >= settings.PLANGATE_LIVE_COUNT_POLL_SECONDS:
                    count_checked = loop.time()
                    await self._check_count_log()
            except Exception:
                # A failed read is retried on the next tick; the socket stays up.
                logger.warning("could not read the event log for a live page", exc_info=True)

    async def _check_log(self) -> None:
        latest = await self.latest_event_id()
        if latest > max(self.announced, self._pending):
            self._announce(latest)

    async def _check_count_log(self) -> None:
        if not self.count_team_ids:
            return
        latest = await database_sync_to_async(self._latest_for_count)()
        if latest > self._count_seen:
            self._nudge_count(latest)

    def _latest_for_count(self) -> int:
        # As the list page reads its teams' log (PlanListConsumer._latest_of_teams), leaving out
        # the page's own plan: its changes reach the page as "changed", whose fetch has the count.
        start = max(self._count_read_up_to, self._count_seen)
        newest = selectors.log_position()
        found = selectors.latest_event_id_for_teams(
            self.count_team_ids, after=max(0, start - LATE_COMMITS), other_than=self.own_plan_id
        )
        self._count_read_up_to = newest
        return found

    def _nudge_count(self, event_id: int) -> None:
        self._count_seen = max(self._count_seen, event_id)
        if self._count_task is None:
            self._count_task = asyncio.create_task(self._flush_count())

    async def _flush_count(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._count_last_sent + COUNT_COALESCE_SECONDS - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        # As in _flush: a change heard of from here on needs a nudge of its own.
        self._count_task = None
        self._count_last_sent = loop.time()
        await self._send_quietly({"type": "inbox"})

    def _announce(self, event_id: int) -> None:
        self._pending = max(self._pending, self.announced, event_id)
        if self._flush_task is None:
            self._flush_task = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._last_sent + COALESCE_SECONDS - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        # From here on, a new announcement needs a flush of its own: this one may already have
        # read _pending when it arrives.
        self._flush_task = None
        self.announced = self._pending
        self._last_sent = loop.time()
        await self._send_quietly({"type": "changed", "last_event_id": self.announced})

    async def _send_quietly(self, payload: dict[str, Any]) -> None:
        try:
            await self.send(text_data=json.dumps(payload))
        except (OSError, RuntimeError):
            # The page closed while this nudge waited out the coalescing delay, and the server
            # has not yet told this consumer (daphne raises a RuntimeError, servers that follow
            # ASGI 2.4 an OSError). Nothing is lost: a page that comes back asks with ?after=.
            # This task is never awaited, so an exception left in it would only be logged as
            # one nobody retrieved.
            logger.debug("a live page closed before its nudge went out", exc_info=True)


async def refuse_handshake(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app that turns a WebSocket away in the handshake (the browser sees HTTP 403).

    Not a consumer class: a consumer subscribes to the channel layer before it handles the
    handshake, so every refused socket would start a blocking read on Redis just to drop it,
    and a read cancelled while it starts can keep the server's (or a test's) event loop waiting.
    """
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


class PlanConsumer(_LiveConsumer):
    """ws/plans/<plan_id>/: nudges the plan's detail page ("changed"), and its inbox count
    ("inbox") on a change to another plan of the teams where the viewer decides.

    Those teams are read once, at connect, as on the list page.
    """

    async def groups_for(self, user: Any) -> list[str] | None:
        self.plan_id = self.scope["url_route"]["kwargs"]["plan_id"]
        self.own_plan_id = str(self.plan_id)
        if not await database_sync_to_async(selectors.user_can_see_plan)(user, self.plan_id):
            return None
        self.count_team_ids = await database_sync_to_async(_team_ids_deciding)(user)
        return [
            realtime.plan_group(self.plan_id),
            *(realtime.team_group(team_id) for team_id in self.count_team_ids),
        ]

    def is_own(self, message: dict[str, Any]) -> bool:
        return message.get("plan_id") == self.own_plan_id

    async def plan_changed(self, message: dict[str, Any]) -> None:
        # A change of this plan comes twice, through the plan's group and its team's. Its events
        # commit in id order (each written under the plan's lock), so one no newer than what the
        # page was told of is that second copy, or already covered: drop it rather than have the
        # page fetch its fragments twice.
        if self.is_own(message) and int(message["event_id"]) <= max(self.announced, self._pending):
            return
        await super().plan_changed(message)

    async def latest_event_id(self) -> int:
        return await database_sync_to_async(selectors.latest_event_id)(self.plan_id)


class InboxCountConsumer(_LiveConsumer):
    """ws/inbox/: nudges the inbox count of a page with no live content of its own (a plan's
    edit or diff page, the settings...), on a change to any plan of the teams where the viewer
    decides. Sends only "inbox"."""

    async def groups_for(self, user: Any) -> list[str] | None:
        self.count_team_ids = await database_sync_to_async(_team_ids_deciding)(user)
        return [realtime.team_group(team_id) for team_id in self.count_team_ids]

    def is_own(self, message: dict[str, Any]) -> bool:
        return False

    async def latest_event_id(self) -> int:
        return 0  # the page shows no plan: there is never anything to fetch but the count


class PlanListConsumer(_LiveConsumer):
    """ws/plans/: nudges the plan list on a change to any plan of the user's teams.

    The teams are read once, at connect; a reviewer removed from a team still gets nudges until
    the page reconnects, but the fetch that follows checks membership again.
    """

    async def groups_for(self, user: Any) -> list[str] | None:
        self.team_ids = await database_sync_to_async(_team_ids)(user)
        return [realtime.team_group(team_id) for team_id in self.team_ids]

    # The log up to here has been read (less LATE_COMMITS, read again each time).
    _read_up_to = 0

    async def latest_event_id(self) -> int:
        return await database_sync_to_async(self._latest_of_teams)()

    def _latest_of_teams(self) -> int:
        # Each poll reads only the log past what the last one read, however busy other teams
        # are: from the page's own position at first. A little before it, too, since ids are
        # taken before their transactions commit: an event that commits late, with a lower id
        # than one already read, is then still found.
        start = max(self._read_up_to, self.announced)
        newest = selectors.log_position()
        found = selectors.latest_event_id_for_teams(
            self.team_ids, after=max(0, start - LATE_COMMITS)
        )
        self._read_up_to = newest
        return found


# How far back of what it read a list page's poll reads again, in event ids.
LATE_COMMITS = 1000


def _team_ids(user: Any) -> list[int]:
    return list(selectors.teams_for_user(user).values_list("id", flat=True))


def _team_ids_deciding(user: Any) -> list[int]:
    """The teams whose plans the inbox count counts (inbox_count_for_user): no other's changes
    reach the page, not even as a count nudge."""
    return list(teams_deciding(user).values_list("id", flat=True))


def _after(scope: dict[str, Any], name: str = "after") -> int:
    """The ?after= the page connected with: the last event id it has rendered (or, for ?log=,
    the log position its inbox count was read at)."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name, [])
    try:
        return max(0, int(values[0]))
    except (IndexError, ValueError):
        return 0
