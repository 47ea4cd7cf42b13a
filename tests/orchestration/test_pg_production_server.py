"""The production server: uvicorn with two worker processes behind one port.

Each worker process answers the API; a live page's socket held by one process hears of a change
made through the API on the other (only the Redis channel layer can carry it there: the page's
event-log poll is turned off); SIGTERM closes the page's socket with 1012, so the page reconnects,
and stops every process.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from orchestration import serving
from plans import selectors, services
from plans.models import Scope
from tests.conftest import IN_CI
from tests.processes import ROOT, free_port, running, wait_for_port
from tests.websockets import session_cookie

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 2


def test_it_serves_the_api_and_live_pages_from_several_processes_and_stops_on_sigterm(
    reviewer: Any, team: Any
) -> None:
    if not settings.REDIS_URL:
        if IN_CI:
            pytest.fail("the production server test needs REDIS_URL")
        pytest.skip("needs REDIS_URL: several server processes share live updates through Redis")
    _, token = services.token_create(
        team=team, name="production-server", scopes=[Scope.SUBMIT, Scope.READ, Scope.DECIDE]
    )
    port = free_port()
    args = serving.uvicorn_args(host="127.0.0.1", port=port, workers=WORKERS)
    log = ROOT / "test-artifacts" / "production-server.log"
    # The page's own poll of the event log would find the change in any process: a day between
    # polls leaves the channel layer as the only way the change can reach the page in time.
    with running(args, log=log, PLANGATE_LIVE_POLL_SECONDS="86400") as server:
        wait_for_port(port, child=server)
        workers = worker_pids(server.pid)
        assert len(workers) == WORKERS, log.read_text()
        try:
            api = Api(port, token, workers)
            answer, _ = api.request(
                "POST",
                "/api/v1/plans",
                {
                    "goal": "Ship the release",
                    "user_id": "user-7",
                    "topic_id": "topic-3",
                    "steps": [{"key": "build", "task": "Build it"}],
                },
            )
            assert answer["status"] == "draft"
            plan_id = answer["id"]

            # Every worker process answers: reads over new connections land on both.
            served = set()
            for _ in range(200):
                read, pid = api.request("GET", f"/api/v1/plans/{plan_id}")
                assert read["goal"] == "Ship the release"
                served.add(pid)
                if served == set(workers):
                    break
            assert served == set(workers)

            seen = selectors.latest_event_id(plan_id)
            with ws_connect(
                f"ws://127.0.0.1:{port}/ws/plans/{plan_id}/?after={seen}",
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Cookie": f"sessionid={session_cookie('alice')}"},
                open_timeout=5,
            ) as page:
                page_pid = owner(port, page.socket.getsockname()[1], workers)
                with pytest.raises(TimeoutError):
                    page.recv(timeout=0.3)

                # Approve through a connection that the other process serves.
                other = next(pid for pid in workers if pid != page_pid)
                approved, approved_by = api.request(
                    "POST",
                    f"/api/v1/plans/{plan_id}/approve",
                    {"version": answer["version"]},
                    served_by=other,
                )
                assert approved["status"] == "approved"
                assert approved_by != page_pid

                message = json.loads(page.recv(timeout=3))
                assert message == {
                    "type": "changed",
                    "last_event_id": selectors.latest_event_id(plan_id),
                }
                assert message["last_event_id"] > seen

                server.send_signal(signal.SIGTERM)
                with pytest.raises(ConnectionClosed) as closed:
                    page.recv(timeout=5)
                assert closed.value.rcvd is not None
                # 1012, "service restart": the page reconnects, to another server.
                assert closed.value.rcvd.code == 1012
            assert server.wait(timeout=serving.GRACEFUL_SHUTDOWN_SECONDS + 10) == 0
            assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
            text = log.read_text()
            assert text.count("Finished server process") == WORKERS, text
            assert "Traceback" not in text, text
        finally:
            # A worker left behind by a failure above would hold the port and database sessions.
            for pid in workers:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


class Api:
    """JSON over HTTP to the server, one new connection per request, telling which worker
    process answered."""

    def __init__(self, port: int, token: str, workers: list[int]) -> None:
        self.port = port
        self.workers = workers
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(
        self, method: str, path: str, body: Any = None, *, served_by: int | None = None
    ) -> tuple[Any, int]:
        with self.connection(served_by) as (conn, pid):
            conn.request(method, path, json.dumps(body) if body is not None else None, self.headers)
            response = conn.getresponse()
            data = json.loads(response.read())
            assert response.status in {200, 201}, (response.status, data)
            return data, pid

    @contextmanager
    def connection(self, served_by: int | None) -> Iterator[tuple[http.client.HTTPConnection, int]]:
        # The kernel hands each new connection to whichever worker accepts it first; open new
        # ones until the wanted process has one (a health check on it makes sure it is accepted).
        for _ in range(200):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("GET", "/api/v1/executors", headers=self.headers)
            conn.getresponse().read()
            assert conn.sock is not None
            pid = owner(self.port, conn.sock.getsockname()[1], self.workers)
            if served_by is None or pid == served_by:
                try:
                    yield conn, pid
                finally:
                    conn.close()
                return
            conn.close()
        raise AssertionError(f"no connection reached process {served_by}")


def worker_pids(parent: int, timeout: float = 10) -> list[int]:
    """The server's worker processes: its children started by multiprocessing's spawn (not its
    resource tracker)."""
    deadline = time.monotonic() + timeout
    found: list[int] = []
    while time.monotonic() < deadline:
        found = [
            pid
            for pid in children(parent)
            if b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        if len(found) >= WORKERS:
            break
        time.sleep(0.1)
    return sorted(found)


def children(parent: int) -> list[int]:
    found = []
    for pid in all_pids():
        with suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            # The parent pid is the second field after the command name, which may hold spaces.
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(pid)
    return found


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def owner(port: int, client_port: int, workers: list[int], timeout: float = 5) -> int:
    """The worker process holding the server side of the connection from `client_port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        wanted = inodes(port, client_port)
        for pid in workers:
            if socket_inodes(pid) & wanted:
                return pid
        time.sleep(0.02)
    raise AssertionError(f"no worker process holds the connection from port {client_port}")


def inodes(port: int, remote_port: int) -> set[str]:
    """Inodes of the sockets on local `port` connected to `remote_port` (the server's side)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local = int(fields[1].rsplit(":", 1)[1], 16)
                remote = int(fields[2].rsplit(":", 1)[1], 16)
                if local == port and remote == remote_port:
                    found.add(fields[9])
    return found


def socket_inodes(pid: int) -> set[str]:
    found = set()
    with suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    found.add(target[len("socket:[") : -1])
    return found
