from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from plans.budgets.prices import parse_pricing
from tests.plans.planning.standin import Reply, StandIn, stand_in


@pytest.fixture
def llm(settings: Any) -> Iterator[Callable[..., StandIn]]:
    """llm(*replies, **planner settings): the `llm` planner, pointed at a stand-in endpoint
    that gives `replies` in order."""
    with ExitStack() as stack:

        def start(*replies: Reply, **config: Any) -> StandIn:
            server = stack.enter_context(stand_in(*replies))
            settings.PLANGATE_PLANNER = {
                "backend": "llm",
                "base_url": server.url,
                "model": "stand-in-model",
                "api_key": "sk-test-secret",
                "timeout_seconds": 5,
                "max_attempts": 2,
                "retry_base_seconds": 0.01,
                "max_repairs": 2,
                **config,
            }
            settings.PLANGATE_PRICING = parse_pricing(
                '{"stand-in-model": {"input_per_million": 2, "output_per_million": 10}}'
            )
            return server

        yield start
