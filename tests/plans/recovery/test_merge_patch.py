"""JSON merge patch (RFC 7386), as `adjust` applies it: the RFC's own examples."""

from __future__ import annotations

from typing import Any

import pytest

from plans.recovery.patch import merge_patch


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch__follows_rfc_7386(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_merge_patch__changes_neither_argument() -> None:
    target = {"model": {"name": "m", "max_tokens": 8000}, "style": "long"}
    patch = {"model": {"max_tokens": 1000}, "style": None}

    assert merge_patch(target, patch) == {"model": {"name": "m", "max_tokens": 1000}}
    assert target == {"model": {"name": "m", "max_tokens": 8000}, "style": "long"}
    assert patch == {"model": {"max_tokens": 1000}, "style": None}
