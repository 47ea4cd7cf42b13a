"""A live Plangate for the client's tests: daphne in a child process on the test database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from plans import services
from tests.conftest import ALL_SCOPES
from tests.processes import ROOT, Server, serving


@pytest.fixture(scope="module")
def live(request: pytest.FixtureRequest, django_db_setup: Any) -> Iterator[Server]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    # A short stream lifetime: every stream is cut (and must be resumed) once a second.
    with serving(
        log=ROOT / "test-artifacts" / f"{name}-server.log", PLANGATE_STREAM_MAX_SECONDS="1"
    ) as server:
        yield server


@pytest.fixture
def url(live: Server) -> str:
    return f"http://{live.address}"


@pytest.fixture
def raw_token(team: Any) -> str:
    _, raw = services.token_create(team=team, name="agent", scopes=ALL_SCOPES)
    return raw


def in_background(seconds: float, action: Callable[[], Any]) -> threading.Thread:
    """Run `action` in another thread after `seconds`, on a database connection of its own
    that it closes when done (an open one would keep the test database in use)."""

    def run() -> None:
        time.sleep(seconds)
        try:
            action()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
