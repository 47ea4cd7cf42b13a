"""JSON merge patch (RFC 7386), as the `adjust` recipe applies it to a step's params."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """`target` changed by `patch`: an object patch merges member by member (null removes a
    member, an object merges into an object, anything else replaces); any other patch replaces
    the target whole. Neither argument is changed."""
    if not isinstance(patch, Mapping):
        return patch
    merged = dict(target) if isinstance(target, Mapping) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged
