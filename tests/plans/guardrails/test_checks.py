"""The checks, pure: each type passes, warns or blocks, and says what it found."""

from __future__ import annotations

from typing import Any

import pytest

from plans.guardrails.checks import Finding, canonical, quality_finding, run


def lookup(name: str) -> Any:
    return {"short": lambda v: None if len(str(v)) < 10 else "too long", "yes": lambda v: True}[
        name
    ]


def check(value: Any, *checks: dict[str, Any]) -> list[Finding]:
    return run(list(checks), value, stage="output", lookup=lookup)


def test_canonical_text_sorts_keys_and_keeps_non_ascii() -> None:
    assert canonical({"b": "é", "a": [1, 2]}) == '{"a":[1,2],"b":"é"}'


@pytest.mark.parametrize(
    "rule",
    [
        {"schema": {"type": "object"}},
        {"max_bytes": 9},
        {"deny": "secret"},
        {"check": "short"},
        {"check": "yes"},
    ],
)
def test_a_passing_value_leaves_no_finding(rule) -> None:
    assert check({"a": 1}, rule) == []


def test_max_bytes_counts_utf8_bytes_of_the_canonical_text() -> None:
    # {"a":"é"} is 9 characters and 10 bytes.
    [found] = check({"a": "é"}, {"max_bytes": 9})
    assert found.message == "10 bytes, over the limit of 9"


def test_deny_says_what_matched_and_shortens_it() -> None:
    [found] = check("x" * 200, {"deny": "x+"})
    assert found.message.startswith("matched 'xxxxx")
    assert "…" in found.message
    assert len(found.message) < 80


def test_warn_mode_warns_and_block_is_the_default() -> None:
    found = check("secret", {"deny": "secret", "mode": "warn"}, {"deny": "sec", "name": "n"})
    assert [(f.check, f.verdict) for f in found] == [("deny", "warn"), ("n", "block")]


def test_a_named_check_that_raises_or_is_gone_blocks() -> None:
    [found] = check("a", {"check": "missing"})
    assert found.verdict == "block"
    assert "raised KeyError" in found.message


def test_a_schema_violation_says_where() -> None:
    schema = {"properties": {"n": {"type": "integer"}, "m": {"type": "integer"}}}
    [found] = check({"n": "x", "m": "y"}, {"schema": schema})
    assert found.message.startswith("not valid under the schema at ")
    assert found.message.endswith("(and 1 more)")


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"score": 0.9}, None),
        ({"score": 0.8}, None),
        ({"score": 0.62}, "quality 0.62 at score is below the minimum 0.8"),
        ({"score": True}, "quality at score is bool, not a number"),
        ({}, "quality: no value at score"),
        ([1], "quality: no value at score"),
    ],
)
def test_quality_gate(result, message) -> None:
    found = quality_finding({"path": "score", "min": 0.8}, result)
    assert (found.message if found else None) == message


def test_quality_gate_follows_list_indexes() -> None:
    result = {"runs": [{"score": 1}, {"score": 3}]}
    assert quality_finding({"path": "runs.1.score", "min": 2}, result) is None
    assert quality_finding({"path": "runs.5.score", "min": 2}, result) is not None
