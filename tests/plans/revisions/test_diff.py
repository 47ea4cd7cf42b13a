"""The structured diff between two versions' content."""

from __future__ import annotations

from typing import Any

from plans.revisions.diff import Change, diff_content, json_changes


def content(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "T",
        "goal": "G",
        "delegation": None,
        "steps": [
            {"key": "a", "task": "A", "params": {"q": {"limit": 10, "tags": ["x", "y"]}}},
            {"key": "b", "task": "B", "params": {}},
        ],
        "artifacts": [{"title": "notes"}],
    }
    return {**base, **fields}


def test_json_changes__paths_inside_nested_objects_and_lists() -> None:
    old = {"q": {"limit": 10, "tags": ["x", "y"]}, "gone": 1}
    new = {"q": {"limit": 20, "tags": ["x"]}, "fresh": True}
    assert json_changes(old, new) == [
        Change(["q", "limit"], 10, 20),
        Change(["q", "tags", 1], "y", None, "removed"),
        Change(["gone"], 1, None, "removed"),
        Change(["fresh"], None, True, "added"),
    ]


def test_json_changes__a_bool_is_not_the_number_it_equals() -> None:
    assert json_changes({"n": 1}, {"n": True}) == [Change(["n"], 1, True)]
    assert json_changes({"n": 1}, {"n": 1}) == []


def test_it_reports_steps_added_removed_and_changed_with_param_paths() -> None:
    old = content()
    new = content(
        title="T2",
        steps=[
            {"key": "a", "task": "A!", "params": {"q": {"limit": 5, "tags": ["x", "y"]}}},
            {"key": "c", "task": "C", "params": {}},
        ],
        artifacts=[{"title": "notes"}, {"title": "costs"}],
    )
    diff = diff_content(old, new, from_version=1, to_version=2)
    assert diff.title is not None and (diff.title.old, diff.title.new) == ("T", "T2")
    assert diff.goal is None
    assert [s["key"] for s in diff.steps_added] == ["c"]
    assert [s["key"] for s in diff.steps_removed] == ["b"]
    [changed] = diff.steps_changed
    assert changed.key == "a"
    assert [f.field for f in changed.fields] == ["task", "params"]
    assert changed.fields[0].changes == []
    assert changed.fields[1].changes == [Change(["q", "limit"], 10, 5)]
    assert diff.artifacts_added == [{"title": "costs"}]
    assert diff.artifacts_removed == []
    assert not diff.delegation_changed


def test_it_is_empty_between_equal_contents() -> None:
    assert diff_content(content(), content(), from_version=1, to_version=1).is_empty
