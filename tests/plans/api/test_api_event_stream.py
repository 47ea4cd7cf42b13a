"""GET /plans/{id}/events/stream against a live daphne: every event in order, live ones as they
happen, a resume after a dropped connection that loses and repeats nothing, keep-alives, and
the end. The changes come from this process, so on SQLite the server finds them by polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from plans import services
from plans.models import PlanEvent, Scope
from tests.factories import approve, submit_plan
from tests.plans.streaming.sse import client, messages
from tests.processes import ROOT, Server, log_problems, serving

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup: Any) -> Iterator[Server]:
    log = ROOT / "test-artifacts" / "event-stream-server.log"
    with serving(log=log, PLANGATE_STREAM_KEEPALIVE_SECONDS="0.3") as live:
        yield live


def token(team: Any, scopes: list[str] | None = None) -> str:
    _, raw = services.token_create(team=team, name="stream", scopes=scopes or [Scope.READ])
    return raw


def later(seconds: float, action: Any) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        try:
            action()
        finally:
            # This thread's own connection: left open, it would keep the test database in use.
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def cancel(plan: Any) -> None:
    plan.refresh_from_db()
    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="enough")


def comment(plan: Any, text: str) -> None:
    from plans.discussion import services as discussion

    discussion.comment_add(plan=plan, actor=services.SYSTEM, body=text, step_key="")


def test_it_sends_every_event_in_order_then_the_end(server: Server, team: Any) -> None:
    plan = submit_plan(team)
    approve(plan)
    cancel(plan)
    stored = list(PlanEvent.objects.filter(plan=plan).order_by("id"))

    with (
        client(server.address, token(team)) as http,
        http.stream("GET", f"/plans/{plan.pk}/events/stream") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        got = [m for m in messages(response) if m.event]

    assert [(m.id, m.event) for m in got[:-1]] == [(str(e.id), e.kind) for e in stored]
    assert [m.json() for m in got[:-1]] == [
        {**e.as_dict(), "created_at": e.created_at.isoformat()} for e in stored
    ]
    assert got[-1].event == "end"
    assert got[-1].id is None
    assert got[-1].json() == {"status": "cancelled", "version": 1, "last_event_id": stored[-1].id}


def test_it_sends_new_events_as_they_happen_and_ends_with_the_plan(
    server: Server, team: Any
) -> None:
    plan = submit_plan(team)
    started = time.monotonic()
    canceller = later(0.5, lambda: cancel(plan))
    with (
        client(server.address, token(team)) as http,
        http.stream("GET", f"/plans/{plan.pk}/events/stream") as response,
    ):
        kinds = [m.event for m in messages(response) if m.event]
    canceller.join()

    assert kinds == ["plan.created", "plan.cancelled", "end"]
    assert time.monotonic() - started < 5


def test_it_resumes_after_a_dropped_connection_without_losing_or_repeating(
    server: Server, team: Any
) -> None:
    plan = submit_plan(team)
    comment(plan, "one")
    received: list[int] = []
    raw = token(team)

    # The first connection reads two events and drops.
    with (
        client(server.address, raw) as http,
        http.stream("GET", f"/plans/{plan.pk}/events/stream") as response,
    ):
        for message in messages(response):
            if message.id is not None:
                received.append(int(message.id))
            if len(received) == 2:
                break

    # Meanwhile the plan moves on.
    comment(plan, "two")
    comment(plan, "three")
    cancel(plan)

    # Resumed by header; the query's `after` is ignored when the header is there.
    with (
        client(server.address, raw) as http,
        http.stream(
            "GET",
            f"/plans/{plan.pk}/events/stream",
            params={"after": 0},
            headers={"Last-Event-ID": str(received[-1])},
        ) as response,
    ):
        rest = [m for m in messages(response) if m.event]
    received += [int(m.id) for m in rest if m.id is not None]

    stored = list(PlanEvent.objects.filter(plan=plan).order_by("id").values_list("id", flat=True))
    assert received == stored
    assert len(stored) == 5
    assert rest[-1].event == "end"


def test_it_resumes_from_the_after_parameter(server: Server, team: Any) -> None:
    plan = submit_plan(team)
    cancel(plan)
    first = PlanEvent.objects.filter(plan=plan).order_by("id").first()
    assert first is not None
    with (
        client(server.address, token(team)) as http,
        http.stream("GET", f"/plans/{plan.pk}/events/stream", params={"after": first.id}) as r,
    ):
        kinds = [m.event for m in messages(r) if m.event]
    assert kinds == ["plan.cancelled", "end"]


def test_it_keeps_an_idle_stream_alive(server: Server, team: Any) -> None:
    plan = submit_plan(team)
    canceller = later(1.2, lambda: cancel(plan))
    with (
        client(server.address, token(team)) as http,
        http.stream("GET", f"/plans/{plan.pk}/events/stream") as response,
    ):
        got = list(messages(response))
    canceller.join()

    keepalives = [m for m in got if m.comments == ["keep-alive"]]
    # 0.3 s apart while nothing happens for 1.2 s.
    assert 2 <= len(keepalives) <= 6
    assert got[-1].event == "end"
    assert log_problems(server.log) == []
