"""Shared fixtures. Tests marked `postgres` run only when the database is PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connection

from tests.factories import TeamFactory, UserFactory


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
