"""Shared fixtures. Tests marked `postgres` run only when the database is PostgreSQL.

A worker to drive by hand (`worker`) and extra python-executor functions (`allow_functions`)
serve the engine's tests and the page and API tests that run plans."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from executors import registry
from orchestration.engine.worker import Worker
from plans.models import Scope
from tests.factories import TeamFactory, UserFactory
from tests.processes import ROOT, Server, serving

# The `api` fixtures' tokens may do everything; tests of scopes make their own tokens.
ALL_SCOPES = list(Scope.values)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only tests are deselected (not skipped) on SQLite: the same suite then runs in
    # full on PostgreSQL in CI, where a missing database is a failure, not a skip.
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    keep = [item for item in items if item.get_closest_marker("postgres") is None]
    dropped = [item for item in items if item.get_closest_marker("postgres") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def reviewer(db: Any) -> Any:
    return UserFactory(username="alice")


@pytest.fixture
def team(reviewer: Any) -> Any:
    return TeamFactory(name="acme", members=[reviewer])


@pytest.fixture
def other_team(db: Any) -> Any:
    return TeamFactory(name="globex", members=[UserFactory(username="mallory")])


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


IN_CI = os.environ.get("CI", "").lower() in {"1", "true"}


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, raw_token: str) -> None:
        from django.test import Client

        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        import json

        data = body if isinstance(body, str | bytes) else json.dumps(body or {})
        return self.client.post(
            f"/api/v1{path}",
            data,
            content_type="application/json",
            headers={**self.headers, **(headers or {})},
        )

    def put(self, path: str, body: Any = None) -> Any:
        import json

        return self.client.put(
            f"/api/v1{path}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=self.headers,
        )


@pytest.fixture
def api(team: Any) -> ApiClient:
    from plans import services

    _, raw = services.token_create(team=team, name="tests", scopes=ALL_SCOPES)
    return ApiClient(raw)


@pytest.fixture
def other_api(other_team: Any) -> ApiClient:
    from plans import services

    _, raw = services.token_create(team=other_team, name="tests", scopes=ALL_SCOPES)
    return ApiClient(raw)


@pytest.fixture
def worker() -> Iterator[Worker]:
    """A worker with two slots; at the end it waits for its steps and releases its threads."""
    with Worker(name="test", concurrency=2, poll_seconds=0.02, grace_seconds=10) as worker:
        yield worker


@pytest.fixture
def allow_functions(settings: Any) -> Iterator[Callable[..., None]]:
    """allow_functions(name="dotted.path", ...) lets plans call more python-executor functions."""

    def allow(**functions: str) -> None:
        settings.PLANGATE_PYTHON_FUNCTIONS = {**settings.PLANGATE_PYTHON_FUNCTIONS, **functions}
        registry.clear_cache()

    yield allow
    registry.clear_cache()


@pytest.fixture(scope="module")
def daphne(request: pytest.FixtureRequest, django_db_setup: Any) -> Iterator[Server]:
    """A daphne server in a child process, shared by a test module; its log is
    test-artifacts/<module>-server.log."""
    log = ROOT / "test-artifacts" / f"{request.module.__name__.rsplit('.', 1)[-1]}-server.log"
    with serving(log=log) as server:
        yield server
