"""The checks themselves, pure: what a value is checked against, and what each check found.

A check list is what a step's `guardrails.input` / `guardrails.output` (or an executor's entry in
PLANGATE_GUARDRAILS) holds. Each check is an object with exactly one type:

- `{"schema": <JSON Schema>}`: the value must be valid under the schema (Draft 2020-12);
- `{"max_bytes": n}`: the value's canonical JSON text (`canonical`) is at most n bytes of UTF-8;
- `{"deny": "<regular expression>"}`: the pattern must not match anywhere in that text;
- `{"check": "<name>"}`: a function listed in PLANGATE_GUARDRAIL_CHECKS, called with the value,
  passes by returning None or True, blocks by returning a message (or False) or raising;

and optionally `"mode": "warn"` (found, recorded and shown, never blocks) or `"block"` (the
default), and a `"name"` to call it by. `shape_problems` says what is wrong with a list as
written; `run` checks a value against a list that passed it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

TYPES = ("schema", "max_bytes", "deny", "check")
MODES = ("block", "warn")
ON_BLOCK = ("fail", "ask")
STAGES = ("input", "output")
GUARDRAIL_KEYS = (*STAGES, "on_block")
# How much of a matched text or a message a finding keeps.
SHOWN = 80

Loc = tuple[str | int, ...]
# name -> the function, for `{"check": name}`; raises KeyError for a name not allowed.
Lookup = Callable[[str], Callable[[Any], Any]]


@dataclass(frozen=True)
class Finding:
    """What one check found: a warning, or a block."""

    stage: str
    check: str
    verdict: str  # "warn" or "block"
    message: str
    # Where the check came from: "executor" (PLANGATE_GUARDRAILS) or "step".
    source: str = "step"

    @property
    def blocks(self) -> bool:
        return self.verdict == "block"

    def as_json(self) -> dict[str, str]:
        return {
            "stage": self.stage,
            "check": self.check,
            "verdict": self.verdict,
            "message": self.message,
            "source": self.source,
        }


def canonical(value: Any) -> str:
    """The JSON text checks read: keys sorted, no spaces, non-ASCII kept as it is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def shorten(text: str, limit: int = SHOWN) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind_of(check: Mapping[str, Any]) -> str:
    """The check's type ("" if it has none or several)."""
    found = [t for t in TYPES if t in check]
    return found[0] if len(found) == 1 else ""


def label(check: Mapping[str, Any]) -> str:
    """What a finding calls the check: its name, else its type (and a named check's name)."""
    if isinstance(check.get("name"), str) and check["name"]:
        return str(check["name"])
    kind = kind_of(check)
    if kind == "check":
        return f"check {check['check']}"
    if kind == "max_bytes":
        return f"max_bytes {check['max_bytes']}"
    return kind or "check"


# --- Shape: what is wrong with a check list as written ------------------------------------------


def guardrails_problems(
    value: Any, loc: Loc, *, known_checks: Mapping[str, Any]
) -> list[tuple[Loc, str]]:
    """Every problem with a guardrails object (`{"input": [...], "output": [...], "on_block":
    ...}`), each with its location under `loc`."""
    if not isinstance(value, dict):
        return [(loc, "guardrails must be an object with input, output and on_block")]
    found: list[tuple[Loc, str]] = []
    for key in sorted(set(value) - set(GUARDRAIL_KEYS), key=str):
        found.append(((*loc, key), f"unknown field; allowed: {', '.join(GUARDRAIL_KEYS)}"))
    if "on_block" in value and value["on_block"] not in ON_BLOCK:
        found.append(((*loc, "on_block"), "must be 'fail' or 'ask'"))
    for stage in STAGES:
        if stage in value:
            found += checks_problems(value[stage], (*loc, stage), known_checks=known_checks)
    return found


def checks_problems(
    checks: Any, loc: Loc, *, known_checks: Mapping[str, Any]
) -> list[tuple[Loc, str]]:
    """Every problem with a list of checks."""
    if not isinstance(checks, list):
        return [(loc, "must be a list of checks")]
    found: list[tuple[Loc, str]] = []
    for i, check in enumerate(checks):
        found += check_problems(check, (*loc, i), known_checks=known_checks)
    return found


def check_problems(
    check: Any, loc: Loc, *, known_checks: Mapping[str, Any]
) -> list[tuple[Loc, str]]:
    """Every problem with one check: its type, its argument, its mode and name."""
    if not isinstance(check, dict):
        return [(loc, f"a check must be an object with one of: {', '.join(TYPES)}")]
    found: list[tuple[Loc, str]] = []
    types = [t for t in TYPES if t in check]
    unknown = sorted(set(check) - {*TYPES, "mode", "name"}, key=str)
    for key in unknown:
        found.append(((*loc, key), f"unknown check type; allowed: {', '.join(TYPES)}"))
    if not types and not unknown:
        found.append((loc, f"a check needs one of: {', '.join(TYPES)}"))
    if len(types) > 1:
        found.append((loc, f"a check has one type, not {len(types)}: {', '.join(types)}"))
    if "mode" in check and check["mode"] not in MODES:
        found.append(((*loc, "mode"), "must be 'block' or 'warn'"))
    if "name" in check and not (isinstance(check["name"], str) and check["name"].strip()):
        found.append(((*loc, "name"), "must be a non-empty string"))
    if "schema" in check:
        schema = check["schema"]
        if not isinstance(schema, dict | bool):
            found.append(((*loc, "schema"), "must be a JSON Schema (an object)"))
        else:
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as error:
                where = "/".join(str(p) for p in error.path) or "(top)"
                found.append(
                    ((*loc, "schema"), f"not a valid JSON Schema at {where}: {error.message}")
                )
    if "max_bytes" in check:
        n = check["max_bytes"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            found.append(((*loc, "max_bytes"), "must be a whole number of at least 1"))
    if "deny" in check:
        pattern = check["deny"]
        if not isinstance(pattern, str) or not pattern:
            found.append(((*loc, "deny"), "must be a regular expression (a non-empty string)"))
        else:
            try:
                re.compile(pattern)
            except re.error as error:
                found.append(((*loc, "deny"), f"not a valid regular expression: {error}"))
    if "check" in check:
        name = check["check"]
        allowed = ", ".join(sorted(known_checks)) or "none"
        if not isinstance(name, str):
            found.append(((*loc, "check"), "must be the name of a check (a string)"))
        elif name not in known_checks:
            found.append(((*loc, "check"), f"unknown check {name!r}; allowed: {allowed}"))
    return found


def quality_problems(value: Any, loc: Loc) -> list[tuple[Loc, str]]:
    """Every problem with a quality gate (`{"path": "score", "min": 0.8}`)."""
    if not isinstance(value, dict):
        return [(loc, 'quality must be an object: {"path": "<field>[.<field>...]", "min": n}')]
    found: list[tuple[Loc, str]] = []
    for key in sorted(set(value) - {"path", "min"}, key=str):
        found.append(((*loc, key), "unknown field; allowed: path, min"))
    path = value.get("path")
    if not isinstance(path, str) or not path.strip() or "" in path.split("."):
        found.append(((*loc, "path"), "must be dotted field names or list indexes, e.g. 'score'"))
    bound = value.get("min")
    if not _is_number(bound):
        found.append(((*loc, "min"), "must be a number"))
    return found


# --- Running checks -----------------------------------------------------------------------------


def run(
    checks: list[dict[str, Any]],
    value: Any,
    *,
    stage: str,
    source: str = "step",
    lookup: Lookup,
) -> list[Finding]:
    """What each check found in `value` (passes leave nothing), in the order of the list."""
    text = canonical(value)
    found: list[Finding] = []
    for check in checks:
        try:
            message = _message(check, value, text, lookup)
        except Exception as error:
            # Only a check stored some other way than a submission gets here (a checkpoint
            # written by hand): it blocks rather than let the value through unchecked.
            message = f"the check could not run: {type(error).__name__}: {error}"
        if message is not None:
            verdict = "warn" if check.get("mode") == "warn" else "block"
            found.append(Finding(stage, label(check), verdict, shorten(message, 300), source))
    return found


def _message(check: dict[str, Any], value: Any, text: str, lookup: Lookup) -> str | None:
    """Why the value does not pass the check; None when it passes."""
    kind = kind_of(check)
    if kind == "schema":
        errors = sorted(
            Draft202012Validator(check["schema"]).iter_errors(value), key=lambda e: list(e.path)
        )
        if not errors:
            return None
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"not valid under the schema at {where}: {shorten(first.message)}{more}"
    if kind == "max_bytes":
        size = len(text.encode("utf-8"))
        limit = int(check["max_bytes"])
        return None if size <= limit else f"{size} bytes, over the limit of {limit}"
    if kind == "deny":
        match = re.search(check["deny"], text)
        if match is None:
            return None
        return f"matched {shorten(match.group(0), 40)!r} at character {match.start()}"
    if kind == "check":
        name = str(check["check"])
        try:
            function = lookup(name)
            answer = function(value)
        except Exception as error:
            return f"check {name!r} raised {type(error).__name__}: {error}"
        if answer is None or answer is True:
            return None
        if answer is False:
            return f"check {name!r} refused it"
        return str(answer)
    return "not a check this version knows"


def quality_finding(gate: Mapping[str, Any], result: Any) -> Finding | None:
    """A block when the number at `gate["path"]` in the result is missing, not a number, or below
    `gate["min"]`; None when it is at least the minimum."""
    path = str(gate.get("path", ""))
    bound = gate.get("min")
    value: Any = result
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return _quality(f"quality: no value at {path}")
    if not _is_number(value):
        return _quality(f"quality at {path} is {type(value).__name__}, not a number")
    if not _is_number(bound):
        return _quality(f"quality gate minimum {bound!r} is not a number")
    if value < bound:
        return _quality(f"quality {value:g} at {path} is below the minimum {bound:g}")
    return None


def _quality(message: str) -> Finding:
    return Finding("output", "quality", "block", message)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )
