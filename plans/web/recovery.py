"""A step's recovery recipes as its row on the plan page shows them: the step's own (part of
what a reviewer approves), its executor's from the settings where the step has none for a
class, whether each was used, and what the step runs since a recovery changed it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from plans.models import PlanStep
from plans.recovery.recipes import ANY, ONCE, Choice, failure_label, summary
from plans.recovery.recipes import event_text as recovery_words
from plans.recovery.selectors import step_runs
from plans.web.spec import Param, params_of


@dataclass(frozen=True)
class RecipeLine:
    # The failure class as listed, in words ("any other failure" for "*").
    failure: str
    text: str
    # "step" or "executor" (the executor's setting).
    source: str
    params: list[Param] = field(default_factory=list)
    patch: str = ""
    used: bool = False


@dataclass(frozen=True)
class Recovery:
    recipes: list[RecipeLine]
    # What the step runs since a recovery changed it; None: what was submitted.
    runs_executor: str = ""
    runs_params: list[Param] | None = None


def step_recovery(step: PlanStep) -> Recovery | None:
    """The recipes that may apply to the step's failures, None when there are none."""
    own = step.recover if isinstance(step.recover, Mapping) else {}
    executor = step.run_executor or step.executor
    configured = getattr(settings, "PLANGATE_RECOVERY", {}) or {}
    theirs = configured.get(executor) if isinstance(configured, Mapping) else None
    choices = [Choice("step", "", k, v) for k, v in own.items() if isinstance(v, Mapping)]
    if isinstance(theirs, Mapping):
        choices += [
            Choice("executor", executor, k, v)
            for k, v in theirs.items()
            # The step's own recipe for the class, or its "*" (unless it runs once only),
            # comes first: the executor's would never apply.
            if k not in own and not _covers_all(own) and isinstance(v, Mapping)
        ]
    runs = step_runs(step)
    if not choices and runs is None:
        return None
    used = set(step.recoveries or [])
    return Recovery(
        recipes=[_line(c, c.name in ONCE and c.id in used) for c in choices],
        runs_executor=runs["executor"] if runs else "",
        runs_params=params_of(runs["params"]) if runs else None,
    )


def _covers_all(own: Mapping[str, Any]) -> bool:
    every = own.get(ANY)
    return isinstance(every, Mapping) and every.get("recipe") not in ONCE


def _line(choice: Choice, used: bool) -> RecipeLine:
    recipe = choice.recipe
    patch = recipe.get("patch") if choice.name == "adjust" else None
    return RecipeLine(
        failure="any other failure" if choice.listed_as == ANY else failure_label(choice.listed_as),
        text=summary(recipe),
        source=choice.source,
        params=params_of(recipe.get("params") or {}) if choice.name == "fallback" else [],
        patch=json.dumps(patch, ensure_ascii=False) if patch is not None else "",
        used=used,
    )


def event_text(data: Any) -> str:
    """A step.recovering event in words."""
    return recovery_words(data) if isinstance(data, Mapping) else ""
