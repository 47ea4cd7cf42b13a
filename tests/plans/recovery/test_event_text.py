"""A step.recovering event reads as a sentence in the event log."""

from __future__ import annotations

from plans.recovery.recipes import event_text


def test_event_text__says_what_each_recipe_did() -> None:
    base = {"failure_class": "rate_limited", "source": "step", "listed_as": "rate_limited"}

    fallback = base | {"recipe": "fallback", "from_executor": "http", "executor": "backup"}
    assert event_text(fallback) == (
        "Rate limited: the step's recipe falls back from http to backup."
    )
    adjust = {
        "recipe": "adjust",
        "failure_class": "context_overflow",
        "source": "executor",
        "listed_as": "*",
        "patch": {"max_tokens": 10, "style": None},
    }
    assert event_text(adjust) == (
        "Input too large for the model: the executor's recipe for any other failure runs "
        "again with params patched (max_tokens, style)."
    )
    assert event_text(base | {"recipe": "retry", "max_attempts": 4}) == (
        "Rate limited: the step's recipe retries (at most 4 attempts)."
    )
    assert (
        event_text(base | {"recipe": "ask"}) == "Rate limited: the step's recipe asks a reviewer."
    )
