"""The operator's guardrails: per executor (PLANGATE_GUARDRAILS) and the allowlist of named
checks (PLANGATE_GUARDRAIL_CHECKS), read from the environment at start-up and checked there, and
what applies to a step: the executor's checks first, then the step's own.

`from_environment` is called by the settings module, so it imports no models.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from plans.guardrails.checks import guardrails_problems


def checks_from_environment(name: str = "PLANGATE_GUARDRAIL_CHECKS") -> dict[str, str]:
    """The allowlist of named checks: a JSON object of name -> "module.path:function" (or a
    dotted path). Raises ImproperlyConfigured when it is not one."""
    value = _json(name)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ImproperlyConfigured(
            f'{name} must be a JSON object of name -> "module.path:function"'
        )
    return value


def from_environment(
    known_checks: Mapping[str, str], name: str = "PLANGATE_GUARDRAILS"
) -> dict[str, dict[str, Any]]:
    """Guardrails per executor: a JSON object of executor name -> {"input": [...], "output":
    [...], "on_block": "fail" | "ask"}. Raises ImproperlyConfigured naming every problem (a bad
    regular expression, schema or check type, a check name not in the allowlist)."""
    value = _json(name)
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object: executor name -> guardrails")
    problems: list[str] = []
    for executor, guardrails in value.items():
        for loc, msg in guardrails_problems(guardrails, (executor,), known_checks=known_checks):
            where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc)
            problems.append(f"{where.replace('.[', '[')}: {msg}")
    if problems:
        raise ImproperlyConfigured(f"{name} has problems: " + "; ".join(problems))
    return value


def _json(name: str) -> Any:
    try:
        return json.loads(os.environ.get(name) or "{}")
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not valid JSON: {error}") from error


def import_check(path: str) -> Callable[[Any], Any]:
    """The function at "module.path:function" (or "module.path.function")."""
    module, sep, attribute = path.partition(":")
    if not sep:
        module, _, attribute = path.rpartition(".")
    function = getattr(importlib.import_module(module), attribute)
    if not callable(function):
        raise TypeError(f"{path} is not a function")
    return function


@dataclass(frozen=True)
class Applied:
    """The checks one stage of a step runs, each with where it came from and what a block does."""

    # (source, on_block, check) in the order they run: the executor's, then the step's.
    input: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    output: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    # What a block does, by source: "fail" or "ask".
    on_block: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.input or self.output)


def applied(
    executor: str, step_guardrails: Any, configured: Mapping[str, Any] | None = None
) -> Applied:
    """What a step on `executor` with these guardrails (as submitted) checks."""
    if configured is None:
        from django.conf import settings

        configured = settings.PLANGATE_GUARDRAILS
    stages: dict[str, list[tuple[str, str, dict[str, Any]]]] = {"input": [], "output": []}
    on_blocks: dict[str, str] = {}
    for source, rules in (("executor", configured.get(executor)), ("step", step_guardrails)):
        if not isinstance(rules, dict):
            continue
        on_block = on_blocks[source] = "ask" if rules.get("on_block") == "ask" else "fail"
        for stage, checks in stages.items():
            listed = rules.get(stage)
            if isinstance(listed, list):
                checks += [(source, on_block, c) for c in listed if isinstance(c, dict)]
    return Applied(input=stages["input"], output=stages["output"], on_block=on_blocks)
