"""The short reads a follower makes, run off the event loop.

Each read runs where Django runs a request's sync code (the request's own thread, which Django
keeps parked for its request signals anyway) and gives its database connection back when done,
so a follower waiting for minutes between reads holds no connection and no pool thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from asgiref.sync import sync_to_async
from django.db import connections

from plans.models import Plan, PlanEvent
from plans.states import PLAN_TERMINAL, PlanStatus

P = ParamSpec("P")
R = TypeVar("R")


def off_loop(fn: Callable[P, R]) -> Callable[P, Any]:
    """`fn` as a coroutine function: run in a thread, its connection closed after."""

    def read_and_release(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        finally:
            _release_connections()

    return sync_to_async(read_and_release, thread_sensitive=True)


def _release_connections() -> None:
    for conn in connections.all(initialized_only=True):
        # Inside a transaction the connection is the transaction's (a test's): keep it. Else
        # close it as the end of a request would (CONN_MAX_AGE): the next read is a poll
        # interval away, and a thousand waiting clients must not hold a thousand connections.
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


@dataclass(frozen=True)
class PlanState:
    status: str
    version: int

    @property
    def ended(self) -> bool:
        return self.status in PLAN_TERMINAL

    @property
    def decided(self) -> bool:
        # Approved, sent back or cancelled; anything past approval was approved first.
        return self.status != PlanStatus.DRAFT


def plan_state(*, team_id: int, plan_id: UUID | str) -> PlanState:
    """The plan's status and version; raises Plan.DoesNotExist for another team's plan."""
    status, version = (
        Plan.objects.filter(pk=plan_id, team_id=team_id).values_list("status", "version").get()
    )
    return PlanState(status=status, version=version)


@dataclass(frozen=True)
class Snapshot:
    state: PlanState
    events: list[dict[str, Any]]


def snapshot(*, team_id: int, plan_id: UUID | str, after: int, limit: int) -> Snapshot:
    """The plan's state, then its events with an id above `after`, oldest first.

    The state is read first: a plan's last event commits with the status that ends it, so when
    the state read says it has ended, the events read after it include the last one.
    """
    state = plan_state(team_id=team_id, plan_id=plan_id)
    events = PlanEvent.objects.filter(plan_id=plan_id, id__gt=after).order_by("id")[:limit]
    return Snapshot(state=state, events=[event.as_dict() for event in events])
