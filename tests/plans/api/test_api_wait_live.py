"""The long poll against a live daphne, woken by an approval made in another process (this
one): through the polling fallback on SQLite, through the channel layer on PostgreSQL with
Redis; and fifty idle waits answered together by one server process."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection

from plans import services
from plans.models import Scope
from tests.factories import approve, submit_plan
from tests.processes import ROOT, database_url, log_problems, serving

pytestmark = pytest.mark.django_db(transaction=True)
LOGS = ROOT / "test-artifacts"


def reader(team: Any) -> str:
    _, raw = services.token_create(team=team, name="waiter", scopes=[Scope.READ])
    return raw


def approve_later(plan: Any, seconds: float) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        approve_and_close(plan)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def approve_and_close(plan: Any) -> None:
    try:
        approve(plan)
    finally:
        # This thread's own connection: left open, it would keep the test database in use.
        connection.close()


def wait_once(address: str, raw: str, plan: Any, **params: Any) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    answer = httpx.get(
        f"http://{address}/api/v1/plans/{plan.pk}/wait",
        params=params,
        headers={"Authorization": f"Bearer {raw}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json(), time.monotonic() - started


def test_it_is_woken_by_an_approval_from_another_process(team: Any) -> None:
    plan = submit_plan(team)
    with serving(log=LOGS / "wait-live-server.log") as server:
        approver = approve_later(plan, 0.5)
        body, took = wait_once(server.address, reader(team), plan, timeout=30)
        approver.join()
        assert log_problems(server.log) == []
    assert (body["done"], body["status"], body["plan"]["status"]) == (True, "approved", "approved")
    # Found by the next poll of the event log (PLANGATE_LIVE_POLL_SECONDS), not at the timeout.
    assert took < 5


@pytest.mark.postgres
def test_it_is_woken_through_the_channel_layer(team: Any) -> None:
    plan = submit_plan(team)
    # A poll this slow cannot be what wakes it: the approval's nudge through Redis must.
    with serving(log=LOGS / "wait-nudge-server.log", PLANGATE_LIVE_POLL_SECONDS="30") as server:
        approver = approve_later(plan, 1.0)
        body, took = wait_once(server.address, reader(team), plan, timeout=25)
        approver.join()
    assert body["done"] is True
    assert took < 4


def server_connections(app_name: str) -> int:
    """The database sessions of the server whose sessions carry `app_name`."""
    with psycopg.connect(database_url(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app_name]
        ).fetchone()
    return int(row[0]) if row else 0


def test_fifty_idle_waits_are_answered_together_by_one_server(team: Any) -> None:
    plan = submit_plan(team)
    raw = reader(team)
    # A shared thread pool of two: the waits must not need a pool thread each to be answered.
    with serving(log=LOGS / "wait-many-server.log", ASGI_THREADS="2") as server:

        async def wait_all() -> tuple[list[httpx.Response], float, int | None]:
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(
                base_url=f"http://{server.address}/api/v1",
                headers={"Authorization": f"Bearer {raw}"},
                timeout=60,
                limits=limits,
            ) as http:
                waits = [
                    asyncio.create_task(http.get(f"/plans/{plan.pk}/wait", params={"timeout": 40}))
                    for _ in range(50)
                ]
                await asyncio.sleep(2)
                # While they wait, the server holds no database session per waiter.
                sessions = (
                    await asyncio.to_thread(server_connections, server.app_name)
                    if database_url().startswith("postgres")
                    else None
                )
                approved_at = time.monotonic()
                await asyncio.to_thread(approve_and_close, plan)
                answers = await asyncio.gather(*waits)
                return answers, time.monotonic() - approved_at, sessions

        answers, took, sessions = asyncio.run(wait_all())
        assert log_problems(server.log) == []

    assert [a.status_code for a in answers] == [200] * 50
    assert all(a.json()["done"] for a in answers)
    # All fifty at once, within a poll or two of the approval, not one after another.
    assert took < 5
    if sessions is not None:
        # At most its LISTEN session and one for each of the pool's two threads.
        assert sessions <= 3, sessions
