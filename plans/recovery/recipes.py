"""Recovery recipes: what follows a failed attempt, by failure class.

A step's `recover` (as submitted, part of what a reviewer approves) and the
settings.PLANGATE_RECOVERY of its executor map failure classes to recipes:

    {"rate_limited": {"recipe": "fallback", "executor": "http", "params": {...}},
     "context_overflow": {"recipe": "adjust", "patch": {"max_tokens": 1024}},
     "bad_input": {"recipe": "retry", "max_attempts": 2, "delay_seconds": 5},
     "*": {"recipe": "ask"}}

Pure: validation returns every problem with its JSON path, and `choose` picks the recipe for a
failure; the engine (orchestration/engine/recovering.py) applies it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from executors.protocol import FailureClass, json_type
from plans.recovery.patch import merge_patch
from plans.validation import Loc, Problem, StepDraft

# Any class a recipe set does not list.
ANY = "*"
# Classes no recipe may handle: the step was stopped, or must not run again as it is.
NEVER = frozenset(
    {
        FailureClass.CANCELLED,
        FailureClass.DEPENDENCY_FAILED,
        FailureClass.POISON,
        FailureClass.GUARDRAIL,
    }
)
CLASSES = tuple(c.value for c in FailureClass if c not in NEVER)
FIELDS = {
    "retry": ("recipe", "max_attempts", "delay_seconds"),
    "fallback": ("recipe", "executor", "params"),
    "adjust": ("recipe", "patch"),
    "ask": ("recipe",),
}
# Recipes that change what runs apply once each: a used one is passed over.
ONCE = frozenset({"fallback", "adjust"})
MAX_ATTEMPTS = 100
MAX_DELAY_SECONDS = 86400.0

# (field, message) for each problem with an executor name ("executor") or its params ("params").
ExecutorCheck = Callable[[str, dict[str, Any]], list[tuple[str, str]]]


def problems(step: StepDraft, *, check_executor: ExecutorCheck | None = None) -> list[Problem]:
    """Problems with the step's `recover`, each at its path under the step. With
    `check_executor`, a fallback's executor and params, and the params an `adjust` would give,
    are checked as a step's are."""
    if step.recover is None:
        return []
    return recipe_set_problems(
        step.recover,
        (*step.loc, "recover"),
        check_executor=check_executor,
        executor=step.executor,
        params=step.params,
    )


def recipe_set_problems(
    recover: Any,
    at: Loc,
    *,
    check_executor: ExecutorCheck | None,
    executor: str | None = None,
    params: dict[str, Any] | None = None,
) -> list[Problem]:
    """Problems with a map of failure class -> recipe at `at`. `executor` and `params` are the
    step's (None for an executor's recipes in the settings: an adjust's patch is then checked
    only as an object)."""
    if not isinstance(recover, Mapping):
        return [
            Problem(at, f"must be an object of failure class -> recipe, not {json_type(recover)}")
        ]
    found: list[Problem] = []
    for name, recipe in recover.items():
        where = (*at, name)
        if name != ANY and name not in CLASSES:
            found.append(
                Problem(
                    where,
                    "not a failure class a recipe may handle; one of: "
                    + ", ".join((*CLASSES, ANY)),
                )
            )
            continue
        found.extend(
            recipe_problems(
                recipe, where, check_executor=check_executor, executor=executor, params=params
            )
        )
    return found


def recipe_problems(
    recipe: Any,
    at: Loc,
    *,
    check_executor: ExecutorCheck | None,
    executor: str | None = None,
    params: dict[str, Any] | None = None,
) -> list[Problem]:
    """Problems with one recipe at `at`."""
    if not isinstance(recipe, Mapping):
        return [Problem(at, f"must be an object with a 'recipe', not {json_type(recipe)}")]
    name = recipe.get("recipe")
    if name not in FIELDS:
        return [Problem((*at, "recipe"), f"must be one of: {', '.join(FIELDS)}")]
    found = [
        Problem((*at, field), f"unknown field for {name!r}; allowed: {', '.join(FIELDS[name])}")
        for field in recipe
        if field not in FIELDS[name]
    ]
    if name == "retry":
        limit = recipe.get("max_attempts")
        if "max_attempts" in recipe and not (
            isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= MAX_ATTEMPTS
        ):
            found.append(
                Problem((*at, "max_attempts"), f"must be a whole number from 1 to {MAX_ATTEMPTS}")
            )
        delay = recipe.get("delay_seconds")
        if "delay_seconds" in recipe and not (
            isinstance(delay, int | float)
            and not isinstance(delay, bool)
            and 0 <= delay <= MAX_DELAY_SECONDS
        ):
            found.append(
                Problem(
                    (*at, "delay_seconds"),
                    f"must be a number of seconds from 0 to {MAX_DELAY_SECONDS:g}",
                )
            )
    elif name == "fallback":
        found.extend(_fallback_problems(recipe, at, check_executor))
    elif name == "adjust":
        patch = recipe.get("patch")
        if not isinstance(patch, Mapping) or not patch:
            found.append(Problem((*at, "patch"), "must be a JSON merge patch: a non-empty object"))
        elif check_executor is not None and executor is not None:
            patched = merge_patch(params or {}, patch)
            found.extend(
                Problem((*at, "patch"), f"the patched params: {msg}")
                for where, msg in check_executor(executor, patched)
                if where == "params"
            )
    return found


def _fallback_problems(
    recipe: Mapping[str, Any], at: Loc, check_executor: ExecutorCheck | None
) -> list[Problem]:
    name = recipe.get("executor")
    params = recipe.get("params", {})
    found = []
    if not isinstance(name, str) or not name.strip():
        found.append(Problem((*at, "executor"), "must name the executor to fall back to"))
    if not isinstance(params, Mapping):
        found.append(Problem((*at, "params"), f"must be an object, not {json_type(params)}"))
    if found or check_executor is None:
        return found
    assert isinstance(name, str)  # noqa: S101 - checked above
    return [Problem((*at, where), msg) for where, msg in check_executor(name, dict(params))]


def setting_problems(value: Any, *, check_executor: ExecutorCheck | None) -> list[Problem]:
    """Problems with settings.PLANGATE_RECOVERY: executor name -> failure class -> recipe."""
    at: Loc = ("PLANGATE_RECOVERY",)
    if not isinstance(value, Mapping):
        return [Problem(at, f"must be an object of executor -> recipes, not {json_type(value)}")]
    found: list[Problem] = []
    for executor, recover in value.items():
        if check_executor is not None:
            found.extend(
                Problem((*at, executor), msg)
                for where, msg in check_executor(executor, {})
                if where == "executor"
            )
        found.extend(recipe_set_problems(recover, (*at, executor), check_executor=check_executor))
    return found


@dataclass(frozen=True)
class Choice:
    """The recipe that applies to a failure, and where it came from."""

    # "step" (the step's `recover`) or "executor" (settings.PLANGATE_RECOVERY).
    source: str
    # The executor whose settings it came from ("" for the step's own).
    executor: str
    # The key it was listed under: a failure class or "*".
    listed_as: str
    recipe: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.recipe["recipe"])

    @property
    def id(self) -> str:
        """How the step remembers it used this recipe."""
        if self.source == "step":
            return f"step:{self.listed_as}"
        return f"executor:{self.executor}:{self.listed_as}"


def choose(
    *,
    failure_class: str,
    step_recipes: Mapping[str, Any] | None,
    executor: str,
    executor_recipes: Mapping[str, Any] | None,
    used: Sequence[str] = (),
) -> Choice | None:
    """The recipe for a failure of `failure_class` of a step running `executor`: the step's
    recipe for the class, else its "*", else the executor's for the class, else the executor's
    "*". A fallback or adjust already used is passed over. None: no recipe (the engine's
    default applies)."""
    if failure_class in NEVER or failure_class not in CLASSES:
        return None
    own = (executor_recipes or {}).get(executor) or {}
    candidates = [
        Choice("step", "", listed, (step_recipes or {})[listed])
        for listed in (failure_class, ANY)
        if listed in (step_recipes or {})
    ] + [
        Choice("executor", executor, listed, own[listed])
        for listed in (failure_class, ANY)
        if listed in own
    ]
    for choice in candidates:
        if choice.name in ONCE and choice.id in used:
            continue
        return choice
    return None


def summary(recipe: Mapping[str, Any]) -> str:
    """A recipe in words, for the plan page."""
    name = recipe.get("recipe")
    if name == "retry":
        limit = recipe.get("max_attempts")
        delay = recipe.get("delay_seconds")
        text = "retry"
        if limit:
            text += f", at most {limit} attempt{'s' if limit != 1 else ''}"
        if delay is not None:
            text += f", {delay:g} s apart"
        return text
    if name == "fallback":
        return f"run once with executor {recipe.get('executor')} instead"
    if name == "adjust":
        return "run once more with params changed by a merge patch"
    if name == "ask":
        return "ask a reviewer"
    return str(name)


def event_text(data: Mapping[str, Any]) -> str:
    """A step.recovering event's data in words, for the event log."""
    failure = failure_label(str(data.get("failure_class", "")))
    listed = data.get("listed_as", "")
    source = "the step's recipe" if data.get("source") == "step" else "the executor's recipe"
    if listed == ANY:
        source += " for any other failure"
    name = data.get("recipe")
    if name == "fallback":
        what = f"falls back from {data.get('from_executor')} to {data.get('executor')}"
    elif name == "adjust":
        what = f"runs again with params patched ({', '.join(sorted(data.get('patch') or {}))})"
    elif name == "ask":
        what = "asks a reviewer"
    else:
        limit = data.get("max_attempts")
        what = f"retries (at most {limit} attempts)" if limit else "retries"
    return f"{failure}: {source} {what}."


def failure_label(failure_class: str) -> str:
    """A failure class in words ("Rate limited"); an unknown one as it is."""
    try:
        return str(FailureClass(failure_class).label)
    except ValueError:
        return failure_class
