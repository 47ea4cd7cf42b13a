"""What changed between two versions of a plan, field by field and, inside params, path by path.

Pure: works on two revisions' content (plans/revisions/content.py). Steps are matched by key.
Hand-written rather than a JSON-diff library: the paths come out as lists of keys and indexes,
the same shape as the API's error paths, and the content is small and already plain JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from plans.revisions.content import canonical

# Step fields compared path by path inside (objects): what changed in them, not only that they did.
NESTED_FIELDS = frozenset({"params", "context", "for_each"})

Path = list[str | int]


@dataclass
class Change:
    """One value that differs: at `path` (inside a field; empty for the field as a whole)."""

    path: Path
    old: Any
    new: Any
    # "changed", "added" (not there before) or "removed" (not there now).
    kind: str = "changed"


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any
    changes: list[Change] = dataclasses.field(default_factory=list)


@dataclass
class StepChange:
    key: str
    fields: list[FieldChange]


@dataclass
class PlanDiff:
    from_version: int
    to_version: int
    title: FieldChange | None = None
    goal: FieldChange | None = None
    delegation_changed: bool = False
    # Each plan input (plans/bindings/) added, removed or changed; the path starts with its name.
    inputs: list[Change] = dataclasses.field(default_factory=list)
    steps_added: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    steps_removed: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    steps_changed: list[StepChange] = dataclasses.field(default_factory=list)
    artifacts_added: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    artifacts_removed: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.title
            or self.goal
            or self.delegation_changed
            or self.inputs
            or self.steps_added
            or self.steps_removed
            or self.steps_changed
            or self.artifacts_added
            or self.artifacts_removed
        )


def json_changes(old: Any, new: Any, path: Path | None = None) -> list[Change]:
    """Every leaf that differs between two JSON values, with its path. Objects are compared key
    by key and lists item by item (an item past the shorter list is added or removed); anything
    else that differs, including a change of type, is one change at its path."""
    path = path or []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[Change] = []
        for key in [*old, *(k for k in new if k not in old)]:
            if key not in new:
                out.append(Change([*path, key], old[key], None, "removed"))
            elif key not in old:
                out.append(Change([*path, key], None, new[key], "added"))
            else:
                out.extend(json_changes(old[key], new[key], [*path, key]))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            if i >= len(new):
                out.append(Change([*path, i], old[i], None, "removed"))
            elif i >= len(old):
                out.append(Change([*path, i], None, new[i], "added"))
            else:
                out.extend(json_changes(old[i], new[i], [*path, i]))
        return out
    # A bool is not the number it equals in Python: true -> 1 is a change.
    if type(old) is not type(new) or old != new:
        return [Change(path, old, new)]
    return []


def _step_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    out = []
    for name in [*old, *(k for k in new if k not in old)]:
        before, after = old.get(name), new.get(name)
        if canonical(before) == canonical(after):
            continue
        nested = json_changes(before, after) if name in NESTED_FIELDS else []
        out.append(FieldChange(name, before, after, nested))
    return out


def diff_content(
    old: dict[str, Any], new: dict[str, Any], *, from_version: int, to_version: int
) -> PlanDiff:
    """What changed from one version's content to another's."""
    diff = PlanDiff(from_version=from_version, to_version=to_version)
    for name in ("title", "goal"):
        if old.get(name) != new.get(name):
            setattr(diff, name, FieldChange(name, old.get(name), new.get(name)))
    diff.delegation_changed = canonical(old.get("delegation")) != canonical(new.get("delegation"))
    # Content without plan inputs leaves them out (plans/revisions/content.py): none is {}.
    diff.inputs = json_changes(old.get("inputs") or {}, new.get("inputs") or {})
    old_steps = {s["key"]: s for s in old.get("steps", [])}
    new_steps = {s["key"]: s for s in new.get("steps", [])}
    diff.steps_removed = [s for k, s in old_steps.items() if k not in new_steps]
    diff.steps_added = [s for k, s in new_steps.items() if k not in old_steps]
    for key, step in new_steps.items():
        if key in old_steps and (changes := _step_changes(old_steps[key], step)):
            diff.steps_changed.append(StepChange(key, changes))
    # Artifacts have no identity across versions but their content: a multiset difference.
    old_artifacts = [canonical(a) for a in old.get("artifacts", [])]
    new_artifacts = [canonical(a) for a in new.get("artifacts", [])]
    remaining = list(old_artifacts)
    for text, artifact in zip(new_artifacts, new.get("artifacts", []), strict=True):
        if text in remaining:
            remaining.remove(text)
        else:
            diff.artifacts_added.append(artifact)
    leftover = list(new_artifacts)
    for text, artifact in zip(old_artifacts, old.get("artifacts", []), strict=True):
        if text in leftover:
            leftover.remove(text)
        else:
            diff.artifacts_removed.append(artifact)
    return diff
