"""PLANGATE_ACTIONS: read from a JSON file or given as a list or object, and refused at start-up
with every problem named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from plans.catalog.checks import check_setting
from plans.catalog.selectors import settings_actions
from tests.plans.catalog.support import SEARCH


def test_it_loads_the_actions_of_a_json_file(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "actions.json"
    path.write_text(json.dumps([SEARCH]))
    settings.PLANGATE_ACTIONS = str(path)

    check_setting()
    action = settings_actions()["search"]
    assert action.executor == "echo"
    assert action.params == {"engine": "maps", "limit": 5}
    assert action.required == ["city"]


def test_it_takes_an_object_of_name_to_action_as_json_text(settings: Any) -> None:
    settings.PLANGATE_ACTIONS = json.dumps(
        {"shout": {"executor": "echo", "input_schema": {"type": "object"}}}
    )
    check_setting()
    assert list(settings_actions()) == ["shout"]


def test_it_names_every_problem_at_start_up(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "actions.json"
    path.write_text(
        json.dumps(
            [
                SEARCH,
                {"name": "launch", "executor": "rocket", "input_schema": {"type": "object"}},
                {"name": "weird", "executor": "echo", "input_schema": {"type": 12}},
                {"name": "flat", "executor": "echo", "input_schema": {"type": "string"}},
                {**SEARCH, "description": "again"},
            ]
        )
    )
    settings.PLANGATE_ACTIONS = str(path)

    with pytest.raises(ImproperlyConfigured) as raised:
        check_setting()
    message = str(raised.value)
    assert "PLANGATE_ACTIONS[1].executor: unknown executor 'rocket'" in message
    assert "PLANGATE_ACTIONS[2].input_schema: is not a valid JSON Schema" in message
    assert "PLANGATE_ACTIONS[3].input_schema: must describe an object" in message
    assert "PLANGATE_ACTIONS[4].name: duplicate action 'search'" in message


def test_an_unreadable_file_is_named(settings: Any, tmp_path: Path) -> None:
    settings.PLANGATE_ACTIONS = str(tmp_path / "nowhere.json")
    with pytest.raises(ImproperlyConfigured, match=r"nowhere\.json"):
        check_setting()


def test_the_shipped_catalog_is_valid() -> None:
    from django.conf import settings as django_settings

    default = Path(django_settings.BASE_DIR) / "plans" / "catalog" / "default_actions.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(django_settings, "PLANGATE_ACTIONS", str(default))
        check_setting()
        assert {"count_words", "sum_numbers", "list_items", "note"} <= set(settings_actions())
