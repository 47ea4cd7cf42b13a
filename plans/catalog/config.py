"""PLANGATE_ACTIONS: the settings' actions, from a JSON file, JSON text or a list or dict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plans.validation import Problem

SETTING = "PLANGATE_ACTIONS"


def definitions(value: Any) -> tuple[list[Any], list[Problem]]:
    """The action definitions the setting holds, as a list, and why it could not be read.

    A list of definitions, or a dict of name -> definition; as such, as JSON text, or as the
    path of a JSON file holding either. Empty or None: no actions.
    """
    at = (SETTING,)
    if value is None or value == "":
        return [], []
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith(("[", "{")):
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as error:
                return [], [Problem(at, f"cannot read {value!r}: {error.strerror or error}")]
        try:
            value = json.loads(text)
        except ValueError as error:
            return [], [Problem(at, f"is not JSON: {error}")]
    if isinstance(value, dict):
        return [
            {"name": name, **item} if isinstance(item, dict) else item
            for name, item in value.items()
        ], []
    if isinstance(value, list):
        return value, []
    return [], [Problem(at, "must be a list of actions, or an object of name -> action")]
