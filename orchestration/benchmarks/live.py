"""`live`: how soon open pages hear of a change, with many of them open on one plan."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections, transaction
from django.db.models import Max
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from orchestration import serving
from orchestration.benchmarks.support import ACTOR, Bench, median, percentile
from plans import services
from plans.discussion.services import comment_add
from plans.models import Plan, PlanEvent
from plans.states import PlanStatus
from plans.validation import StepDraft

P50_TARGET_MS = 50
P99_TARGET_MS = 250


def run(bench: Bench) -> None:
    o = bench.options
    clients, samples = o["live_clients"], o["live_samples"]
    if not settings.REDIS_URL:
        bench.out("Live updates: not measured, they need Redis as the channel layer: set REDIS_URL")
        return
    plan = running_plan(bench)
    after = PlanEvent.objects.filter(plan=plan).aggregate(last=Max("id"))["last"] or 0
    token = bench.token("plans:submit", "plans:read")
    with bench.reviewer(bench.team) as client:
        cookie = session_cookie(client)
        with bench.web_server(
            lambda port: serving.daphne_args(host="127.0.0.1", port=port), token, "/api/v1/plans"
        ) as base_url:
            address = base_url.removeprefix("http://")
            delays = asyncio.run(
                measure(
                    address,
                    f"/ws/plans/{plan.pk}/?after={after}",
                    cookie,
                    plan,
                    clients=clients,
                    samples=samples,
                    gap=o["live_gap"],
                )
            )
    bench.out(
        f"Live updates: {clients} WebSockets open on one running plan's page (daphne, 1 "
        f"process; Redis channel layer), {samples} comments added one after another: the time "
        f"from each commit to each socket's frame, {len(delays)} frames:"
    )
    p50, p99 = median(delays), percentile(delays, 0.99)
    bench.verdict(
        f"commit to frame p50 {p50:.1f} ms", f"<= {P50_TARGET_MS} ms", p50 <= P50_TARGET_MS
    )
    bench.verdict(
        f"commit to frame p99 {p99:.1f} ms", f"<= {P99_TARGET_MS} ms", p99 <= P99_TARGET_MS
    )


def running_plan(bench: Bench) -> Plan:
    """A plan that is executing and stays so: its first step done, its second a gate waiting
    for a reviewer."""
    steps = [
        StepDraft(key="first", task="no-op", executor="echo"),
        StepDraft(
            key="gate", task="no-op", executor="echo", depends_on=["first"], approval="required"
        ),
    ]
    plan = services.plan_submit(
        team=bench.team,
        actor=ACTOR,
        submission=services.PlanSubmission(
            user_id="benchmark", topic_id="benchmark", goal="Benchmark", steps=steps
        ),
    )
    with bench.workers(1, None):
        bench.approve_all([plan])
        deadline = time.monotonic() + 30
        while not plan.steps.filter(key="gate", status="awaiting_approval").exists():
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
    plan.refresh_from_db()
    if plan.status != PlanStatus.EXECUTING:
        raise CommandError(f"the plan whose page is watched is {plan.status}, not executing")
    return plan


def session_cookie(client: Client) -> str:
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


async def measure(
    address: str,
    path: str,
    cookie: str,
    plan: Plan,
    *,
    clients: int,
    samples: int,
    gap: float,
) -> list[float]:
    """Open `clients` sockets, then commit `samples` comments `gap` s apart; for every socket
    and comment, the ms from the commit to the first frame announcing its event."""
    sockets: list[ClientConnection] = []
    for _ in range(clients):
        sockets.append(
            await connect(
                f"ws://{address}{path}",
                origin=Origin(f"http://{address}"),
                additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"},
                ping_interval=None,
                open_timeout=30,
            )
        )
    frames: list[list[tuple[int, float]]] = [[] for _ in sockets]

    async def read(socket: ClientConnection, into: list[tuple[int, float]]) -> None:
        async for message in socket:
            stamp = time.time()
            data = json.loads(message)
            if data.get("type") == "changed":
                into.append((int(data["last_event_id"]), stamp))

    readers = [asyncio.create_task(read(s, f)) for s, f in zip(sockets, frames, strict=True)]
    commits: list[tuple[int, float]] = []
    # Commits run on a thread of their own (with its own database connection), so this loop
    # keeps reading frames while one is being written.
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            for n in range(samples):
                commits.append(await loop.run_in_executor(pool, commit, plan, n))
                await asyncio.sleep(gap)
        finally:
            # The thread's own connection, which only that thread may close.
            await loop.run_in_executor(pool, connections.close_all)
        for socket in sockets:
            await socket.close()
        await asyncio.gather(*readers, return_exceptions=True)
    delays = []
    for received in frames:
        for event_id, committed in commits:
            heard = next((t for last, t in received if last >= event_id and t >= committed), None)
            if heard is not None:
                delays.append((heard - committed) * 1000)
    missing = clients * samples - len(delays)
    if missing:
        raise CommandError(f"{missing} frame(s) never arrived")
    return delays


def commit(plan: Plan, n: int) -> tuple[int, float]:
    """Add a comment; its event's id and the moment its transaction committed."""
    stamp: dict[str, Any] = {}
    with transaction.atomic():
        # Registered first, so it runs right after the commit, before the announcement.
        transaction.on_commit(lambda: stamp.setdefault("at", time.time()))
        comment_add(plan=plan, actor=ACTOR, body=f"Sample {n}")
        event = PlanEvent.objects.filter(plan=plan).aggregate(last=Max("id"))["last"]
    return int(event), float(stamp["at"])
