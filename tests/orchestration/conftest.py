"""Fixtures for worker tests: a worker to drive by hand, and extra python-executor functions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from executors import registry
from orchestration.engine.worker import Worker


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
