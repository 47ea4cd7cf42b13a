"""With a worker: an action step's `$from` input takes its value from the dependency's result
when it starts; a value that does not fit the action's input schema, or a path the result does
not have, fails the attempt as bad_input, not retried, and the executor never runs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.orchestration.engine import bindings_scenario as scenario

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def actions(settings: Any, allow_functions: Any) -> None:
    scenario.setup(settings, allow_functions)


def test_a_bound_value_reaches_the_executor(team: Any, worker: Any) -> None:
    scenario.a_bound_value_reaches_the_executor(team, worker)


def test_a_mismatch_fails_as_bad_input_without_running(team: Any, worker: Any) -> None:
    scenario.a_mismatch_fails_as_bad_input_without_running(team, worker)


def test_a_missing_path_fails_as_bad_input(team: Any, worker: Any) -> None:
    scenario.a_missing_path_fails_as_bad_input(team, worker)
