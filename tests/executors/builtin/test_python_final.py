"""A python-executor function ends its pipeline item's chain by returning Final(value)."""

from __future__ import annotations

from typing import Any

import pytest

from executors.builtin.python import PythonExecutor
from executors.protocol import FailureClass, Final, StepSpec

HERE = "tests.executors.builtin.test_python_final"


def found_it(spec: StepSpec) -> Any:
    return Final({"found": spec.params["needle"]})


def final_none(spec: StepSpec) -> Any:
    return Final(None)


def final_not_json(spec: StepSpec) -> Any:
    return Final({"when": object()})


@pytest.fixture(autouse=True)
def functions(settings: Any) -> None:
    settings.PLANGATE_PYTHON_FUNCTIONS = {
        name: f"{HERE}.{name}" for name in ("found_it", "final_none", "final_not_json")
    }


def run(params: dict[str, Any]):
    return PythonExecutor().run(StepSpec(plan_id="p1", step_key="s", task="t", params=params))


def test_it_succeeds_with_the_wrapped_value_marked_final():
    outcome = run({"function": "found_it", "needle": "x"})
    assert outcome.ok
    assert outcome.final
    assert outcome.result == {"found": "x"}


def test_it_takes_a_final_null_as_a_result():
    outcome = run({"function": "final_none"})
    assert outcome.ok
    assert outcome.final
    assert outcome.result is None


def test_it_fails_for_a_final_value_that_is_not_json():
    outcome = run({"function": "final_not_json"})
    assert not outcome.ok
    assert not outcome.final
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error.startswith("python: function 'final_not_json' returned a value that is")


def test_final_is_an_immutable_wrapper():
    final = Final([1])
    assert final == Final([1])
    with pytest.raises(AttributeError):
        final.value = 2  # type: ignore[misc]
