"""Reads of the catalog: the actions a team may name, and what a step's action needs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from executors import registry
from plans.bindings.flow import MissingInput, input_uses, missing_inputs
from plans.catalog.config import SETTING, definitions
from plans.catalog.spec import ActionSpec, action_from, parse_actions
from plans.models import Action, Plan, PlanStep, Team
from plans.states import DomainError
from plans.validation import Problem


def check_executor(name: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems with an executor name and params, as (field, message) pairs."""
    if not registry.is_registered(name):
        return [
            ("executor", f"unknown executor {name!r}; registered: {', '.join(registry.names())}")
        ]
    return [("params", msg) for msg in registry.get(name).validate_params(params)]


def setting_problems() -> list[Problem]:
    """Every problem with settings.PLANGATE_ACTIONS (unreadable, unknown executors, bad
    schemas, duplicate names)."""
    return _from_setting(_setting_key())[1]


def settings_actions() -> dict[str, ActionSpec]:
    """The settings' actions by name (those without problems)."""
    return _from_setting(_setting_key())[0]


def _setting_key() -> str:
    value = getattr(settings, SETTING, None)
    if isinstance(value, str) and not value.strip().startswith(("[", "{")):
        # A file: read again when it changes.
        path = Path(value.strip())
        return json.dumps([value, path.stat().st_mtime if path.exists() else None])
    return json.dumps(value, sort_keys=True)


@lru_cache(maxsize=8)
def _from_setting(key: str) -> tuple[dict[str, ActionSpec], list[Problem]]:
    raw, problems = definitions(getattr(settings, SETTING, None))
    actions, found = parse_actions(raw, (SETTING,), check_executor=check_executor)
    return actions, [*problems, *found]


def team_action(row: Action) -> ActionSpec:
    return action_from(
        {
            "name": row.name,
            "description": row.description,
            "executor": row.executor,
            "input_schema": row.input_schema,
            "output_schema": row.output_schema,
            "params": row.params,
            "timeout_seconds": row.timeout_seconds,
            "max_attempts": row.max_attempts,
            "guardrails": row.guardrails,
            "estimated_cost": row.estimated_cost,
        },
        source="team",
    )


def actions_for(team: Team | int | None) -> dict[str, ActionSpec]:
    """The actions a team's steps may name, by name: the settings' and the team's own (which
    win over a settings action of the same name)."""
    actions = dict(settings_actions())
    if team is not None:
        for row in Action.objects.filter(team=team).order_by("name"):
            actions[row.name] = team_action(row)
    return dict(sorted(actions.items()))


def step_binding(*, step_id: int, team_id: int) -> tuple[ActionSpec | None, dict[str, Any] | None]:
    """A step's action (None when it names none, or one the catalog no longer has) and its
    inputs as approved."""
    row = PlanStep.objects.filter(pk=step_id).values("action", "inputs").first()
    if row is None or not row["action"]:
        return None, None
    return actions_for(team_id).get(row["action"]), row["inputs"] or {}


def plan_missing_inputs(plan: Plan, steps: Iterable[PlanStep] | None = None) -> list[MissingInput]:
    """The plan inputs its steps bind that have not been supplied. `steps`: the plan's steps,
    when the caller has them loaded (no query then for a plan without action steps)."""
    if steps is None:
        rows = list(
            plan.steps.filter(parent=None).exclude(action="").values_list("key", "action", "inputs")
        )
    else:
        rows = [(s.key, s.action, s.inputs) for s in steps if s.action and s.parent_id is None]
    if not rows:
        return []
    actions = actions_for(plan.team_id)
    uses = input_uses((key, actions.get(name), inputs) for key, name, inputs in rows)
    return missing_inputs(uses, plan.inputs or {})


def plan_input_uses(plan: Plan) -> list[Any]:
    rows = plan.steps.filter(parent=None).exclude(action="").values_list("key", "action", "inputs")
    actions = actions_for(plan.team_id)
    return input_uses((key, actions.get(name), inputs) for key, name, inputs in rows)


class MissingInputs(DomainError):
    """A plan whose steps need plan inputs that have not been supplied (the API answers 409)."""

    def __init__(self, missing: list[MissingInput]) -> None:
        names = ", ".join(m.name for m in missing)
        super().__init__(f"the plan needs inputs before it can be approved: {names}")
        self.missing = missing


def plan_missing_required(plan: Plan) -> list[MissingInput]:
    """The missing inputs: each keeps the plan from being approved."""
    return plan_missing_inputs(plan)


def refuse_if_missing(plan: Plan) -> None:
    """Raises MissingInputs when the plan lacks inputs its steps need."""
    if missing := plan_missing_required(plan):
        raise MissingInputs(missing)
