"""Which recipe applies to a failure: the step's before the executor's, a class before "*", a
used fallback or adjust passed over."""

from __future__ import annotations

from typing import Any

from plans.recovery.recipes import choose

RETRY = {"recipe": "retry"}
ASK = {"recipe": "ask"}
FALLBACK = {"recipe": "fallback", "executor": "echo"}
ADJUST = {"recipe": "adjust", "patch": {"n": 1}}


def chosen(failure_class: str, step: Any, executors: Any, used: tuple[str, ...] = ()) -> Any:
    choice = choose(
        failure_class=failure_class,
        step_recipes=step,
        executor="http",
        executor_recipes=executors,
        used=used,
    )
    return None if choice is None else (choice.id, choice.name)


def test_choose__the_steps_class_then_its_star_then_the_executors() -> None:
    step = {"timeout": RETRY, "*": ASK}
    executors = {"http": {"rate_limited": FALLBACK, "*": RETRY}, "echo": {"*": ASK}}

    assert chosen("timeout", step, executors) == ("step:timeout", "retry")
    assert chosen("rate_limited", step, executors) == ("step:*", "ask")
    assert chosen("rate_limited", None, executors) == ("executor:http:rate_limited", "fallback")
    assert chosen("bad_input", None, executors) == ("executor:http:*", "retry")
    assert chosen("bad_input", None, {"echo": {"*": ASK}}) is None
    assert chosen("bad_input", None, None) is None


def test_choose__passes_over_a_used_fallback_or_adjust_but_not_a_retry_or_ask() -> None:
    step = {"rate_limited": FALLBACK, "context_overflow": ADJUST, "timeout": RETRY, "*": ASK}
    used = ("step:rate_limited", "step:context_overflow", "step:timeout")

    assert chosen("rate_limited", step, None, used) == ("step:*", "ask")
    assert chosen("context_overflow", step, None, used) == ("step:*", "ask")
    assert chosen("timeout", step, None, used) == ("step:timeout", "retry")
    assert chosen("rate_limited", {"rate_limited": FALLBACK}, None, used) is None


def test_choose__never_for_a_cancel_a_failed_dependency_poison_or_a_guardrail() -> None:
    anything = {"*": RETRY}
    for failure_class in ("cancelled", "dependency_failed", "poison", "guardrail"):
        assert chosen(failure_class, anything, {"http": anything}) is None
