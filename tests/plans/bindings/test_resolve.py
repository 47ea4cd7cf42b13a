"""Run-time resolution, without a database: `$from` values from the dependencies' results, and
every input checked against the action's schema."""

from __future__ import annotations

from plans.bindings.resolve import resolve
from plans.catalog.spec import action_from
from tests.plans.catalog.support import SUMMARISE

ACTION = action_from(SUMMARISE, source="settings")


def test_a_path_into_a_dependencys_result_is_resolved() -> None:
    params, problems = resolve(
        params={"text": {"$from": "fetch.result.pages.1.body"}, "style": "short"},
        inputs={"text": {"$from": "fetch.result.pages.1.body"}, "style": "short"},
        results={"fetch": {"pages": [{"body": "one"}, {"body": "two"}]}},
        action=ACTION,
    )
    assert problems == []
    assert params == {"text": "two", "style": "short"}


def test_a_missing_path_and_a_mismatch_name_the_input() -> None:
    inputs = {"text": {"$from": "fetch.result.pages.5.body"}}
    _, problems = resolve(
        params=inputs, inputs=inputs, results={"fetch": {"pages": []}}, action=ACTION
    )
    assert problems == [
        "input 'text': 'fetch.result.pages.5.body' is not in the result of 'fetch' "
        "(pages has no item '5')"
    ]
    inputs = {"text": {"$from": "fetch.result"}}
    _, problems = resolve(params=inputs, inputs=inputs, results={"fetch": [1, 2]}, action=ACTION)
    assert problems == ["input 'text': [1, 2] is not of type 'string'"]


def test_a_skipped_dependency_passes_nothing() -> None:
    inputs = {"text": {"$from": "fetch.result"}}
    _, problems = resolve(params=inputs, inputs=inputs, results={}, action=ACTION)
    assert "passed no result" in problems[0]
