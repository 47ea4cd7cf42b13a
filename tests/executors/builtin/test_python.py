"""The python executor calls only allowlisted functions; the example functions behave."""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any

import pytest

from executors import registry
from executors.builtin.python import PythonExecutor
from executors.protocol import FailureClass, StepOutcome, StepSpec

HERE = "tests.executors.builtin.test_python"


def spec(params: dict[str, Any], task: str = "count these words please") -> StepSpec:
    return StepSpec(plan_id="p1", step_key="plan.py", task=task, params=params)


def run(params: dict[str, Any], task: str = "count these words please"):
    return PythonExecutor().run(spec(params, task))


# Functions used through settings in the tests below.


def boom(spec: StepSpec) -> Any:
    raise KeyError("no such thing")


def wrong_type(spec: StepSpec) -> Any:
    raise TypeError("inputs must be a list")


async def asynchronous(spec: StepSpec) -> Any:
    return 1


def not_json(spec: StepSpec) -> Any:
    return {"when": object()}


def not_finite(spec: StepSpec) -> Any:
    return float("inf")


# Validation


def test_validate_params__accepts_an_allowlisted_name():
    assert PythonExecutor().validate_params({"function": "word_count"}) == []


def test_validate_params__refuses_an_unlisted_name_listing_the_allowed(settings):
    settings.PLANGATE_PYTHON_FUNCTIONS = {"b": f"{HERE}.boom", "a": f"{HERE}.boom"}
    assert PythonExecutor().validate_params({"function": "word_count"}) == [
        "function 'word_count' is not allowed; allowed: a, b"
    ]


def test_validate_params__refuses_a_dotted_path():
    problems = PythonExecutor().validate_params({"function": "os.system"})
    assert problems == [
        "function 'os.system' is not allowed; allowed: list_items, sleep, sum_numbers, word_count"
    ]


def test_validate_params__refuses_a_missing_or_non_string_name():
    assert PythonExecutor().validate_params({}) == [
        "function is required; allowed: list_items, sleep, sum_numbers, word_count"
    ]
    assert PythonExecutor().validate_params({"function": ["word_count"]}) == [
        "function must be a name (a string), not list"
    ]


# Running


def test_it_runs_an_allowlisted_function_through_the_registry():
    outcome = registry.get("python").run(spec({"function": "word_count"}))
    assert isinstance(outcome, StepOutcome)
    assert outcome.ok
    assert not outcome.final
    assert outcome.result == {"words": 4}


def test_it_runs_in_a_thread_not_on_the_event_loop():
    assert not inspect.iscoroutinefunction(PythonExecutor.run)


def test_it_refuses_at_run_a_name_removed_from_the_allowlist(settings):
    executor = PythonExecutor()
    assert executor.validate_params({"function": "word_count"}) == []
    settings.PLANGATE_PYTHON_FUNCTIONS = {"sleep": "executors.builtin.functions.sleep"}
    registry.clear_cache()
    outcome = executor.run(spec({"function": "word_count"}))
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert not outcome.retryable
    assert outcome.error == "python: function 'word_count' is not allowed; allowed: sleep"


def test_it_reads_the_allowlist_at_call_time(settings):
    settings.PLANGATE_PYTHON_FUNCTIONS = {"count": "executors.builtin.functions.word_count"}
    outcome = run({"function": "count", "text": "one two"})
    assert outcome.result == {"words": 2}


def test_it_fails_as_executor_error_for_an_unexpected_exception(settings):
    settings.PLANGATE_PYTHON_FUNCTIONS = {"boom": f"{HERE}.boom"}
    outcome = run({"function": "boom"})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.retryable
    assert outcome.error == "KeyError: 'no such thing'"


def test_it_fails_as_bad_input_for_a_value_error():
    outcome = run({"function": "sum_numbers", "numbers": "1,2"})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert not outcome.retryable


def test_it_fails_as_bad_input_for_a_type_error(settings):
    settings.PLANGATE_PYTHON_FUNCTIONS = {"wrong_type": f"{HERE}.wrong_type"}
    outcome = run({"function": "wrong_type"})
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error == "TypeError: inputs must be a list"


def test_it_fails_as_executor_error_for_a_function_that_cannot_be_imported(settings):
    settings.PLANGATE_PYTHON_FUNCTIONS = {"gone": f"{HERE}.missing"}
    outcome = run({"function": "gone"})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error.startswith("ImportError: ")


def test_it_fails_as_executor_error_for_an_async_function(settings):
    settings.PLANGATE_PYTHON_FUNCTIONS = {"asynchronous": f"{HERE}.asynchronous"}
    outcome = run({"function": "asynchronous"})
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error == (
        "python: function 'asynchronous' is async; the python executor calls plain functions"
    )


@pytest.mark.parametrize("name", ["not_json", "not_finite"])
def test_it_fails_for_a_result_that_is_not_json(settings, name):
    settings.PLANGATE_PYTHON_FUNCTIONS = {name: f"{HERE}.{name}"}
    outcome = run({"function": name})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.error.startswith(f"python: function {name!r} returned a value that is not JSON")


# The example functions


def test_word_count__counts_params_text_over_the_task():
    assert run({"function": "word_count", "text": "  a b\n\tc  "}).result == {"words": 3}
    assert run({"function": "word_count", "text": ""}).result == {"words": 0}


def test_word_count__fails_for_non_string_text():
    outcome = run({"function": "word_count", "text": 5})
    assert outcome.error == "ValueError: word_count: params.text must be a string, not int"


def test_sum_numbers__sums_the_numbers():
    assert run({"function": "sum_numbers", "numbers": [1, 2.5, -3]}).result == {"sum": 0.5}
    assert run({"function": "sum_numbers", "numbers": []}).result == {"sum": 0}


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        (None, "params.numbers must be a list of numbers"),
        ("1,2", "params.numbers must be a list of numbers"),
        ([1, "2"], "params.numbers[1] is not a number: '2'"),
        ([True], "params.numbers[0] is not a number: True"),
    ],
)
def test_sum_numbers__fails_for_bad_numbers(numbers, message):
    outcome = run({"function": "sum_numbers", "numbers": numbers})
    assert not outcome.ok
    assert outcome.failure_class == FailureClass.BAD_INPUT
    assert outcome.error == f"ValueError: sum_numbers: {message}"


def test_sleep__sleeps_the_given_seconds():
    started = time.monotonic()
    outcome = run({"function": "sleep", "seconds": 0.05})
    assert time.monotonic() - started >= 0.05
    assert outcome.result == {"slept": 0.05, "cancelled": False}


def test_sleep__wakes_early_when_the_plan_is_cancelled():
    step = spec({"function": "sleep", "seconds": 30})
    timer = threading.Timer(0.05, step.cancelled.set)
    timer.start()
    started = time.monotonic()
    outcome = PythonExecutor().run(step)
    timer.join()
    assert time.monotonic() - started < 5
    assert outcome.ok
    assert outcome.result["cancelled"] is True
    assert 0 < outcome.result["slept"] < 5


@pytest.mark.parametrize("seconds", [None, "1", -1, 60.5, True])
def test_sleep__fails_for_bad_seconds(seconds):
    outcome = run({"function": "sleep", "seconds": seconds})
    assert not outcome.ok
    assert outcome.error.startswith(
        "ValueError: sleep: params.seconds must be a number from 0 to 60"
    )


def test_list_items__returns_the_listed_items_or_refuses_a_non_list() -> None:
    from executors.builtin.functions import list_items

    assert list_items(
        StepSpec(plan_id="p", step_key="s", task="t", params={"items": [1, "a"]})
    ) == [
        1,
        "a",
    ]
    with pytest.raises(ValueError, match=r"params.items must be a list"):
        list_items(StepSpec(plan_id="p", step_key="s", task="t", params={"items": "a"}))
