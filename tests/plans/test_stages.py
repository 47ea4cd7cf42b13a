"""stages.window: how many items of a fan-out run at once, whatever a stored for_each holds:
below 1 counts as 1, anything not a whole number as the default."""

from __future__ import annotations

from typing import Any

import pytest

from plans import stages
from plans.validation import FAN_OUT_DEFAULT_CONCURRENCY


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list"}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": 3}, 3),
        ({"over": "list", "max_concurrency": 0}, 1),
        ({"over": "list", "max_concurrency": -5}, 1),
        ({"over": "list", "max_concurrency": "two"}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": None}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": 2.5}, FAN_OUT_DEFAULT_CONCURRENCY),
        ({"over": "list", "max_concurrency": True}, FAN_OUT_DEFAULT_CONCURRENCY),
        (["over", "list"], FAN_OUT_DEFAULT_CONCURRENCY),
    ],
)
def test_window__is_a_whole_number_of_at_least_one(spec: Any, expected: int) -> None:
    assert stages.window(spec) == expected
