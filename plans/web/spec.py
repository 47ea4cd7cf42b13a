"""What a step will run, as its row on the plan page shows it: executor, every parameter, limits,
what it receives from which steps and, for a fan-out step, its stages.

A reviewer approves what the page shows, so nothing is left out: a long value is folded (an open
<details> shows it), never cut. Plan text is untrusted: these are plain strings, and the template
escapes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from plans.catalog.selectors import actions_for
from plans.dependencies import loaded_dependencies
from plans.models import PlanStep
from plans.stages import stages_of, window
from plans.validation import split_over

# A value longer than this, or on several lines, is folded behind its first characters.
SHORT_VALUE = 80
PREVIEW = 60


@dataclass(frozen=True)
class Param:
    name: str
    # The whole value: a string as it is (its lines kept), anything else as indented JSON.
    text: str
    # What a folded value shows before it is opened; "" when the value is short and shown whole.
    preview: str = ""

    @property
    def folded(self) -> bool:
        return bool(self.preview)


@dataclass(frozen=True)
class StageSpec:
    name: str
    executor: str
    task: str
    params: list[Param]
    timeout_seconds: float | None
    max_attempts: int | None


@dataclass(frozen=True)
class FanOut:
    over: str
    # The step it takes the items from, and the field of its result, if any.
    source: str
    path: str
    window: int
    stages: list[StageSpec] = field(default_factory=list)


@dataclass(frozen=True)
class StepSpec:
    params: list[Param]
    timeout_seconds: float | None
    max_attempts: int | None
    # Keys of the steps whose results it receives, in submission order.
    inputs: list[str]
    fan_out: FanOut | None = None
    # The catalog action it names (plans/catalog/) and what the catalog says it does.
    action: str = ""
    action_description: str = ""


def step_spec(step: PlanStep) -> StepSpec:
    """The spec of a step loaded with `depends_on` prefetched."""
    inputs = [d.key for d in sorted(loaded_dependencies(step), key=lambda d: (d.position, d.pk))]
    fan_out = None
    if step.for_each is not None:
        spec = step.for_each if isinstance(step.for_each, dict) else {}
        over = str(spec.get("over", ""))
        found = split_over(over, inputs)
        source, path = (found[0], ".".join(found[1])) if found else ("", "")
        fan_out = FanOut(
            over=over,
            source=source,
            path=path,
            window=window(spec),
            stages=[
                StageSpec(
                    name=s.name,
                    executor=s.executor,
                    task=s.task,
                    params=params_of(s.params),
                    timeout_seconds=s.timeout_seconds,
                    max_attempts=s.max_attempts,
                )
                for s in stages_of(step)
            ]
            if spec.get("stages")
            else [],
        )
    return StepSpec(
        params=params_of(step.params),
        timeout_seconds=step.timeout_seconds,
        max_attempts=step.max_attempts,
        inputs=inputs,
        fan_out=fan_out,
        action=step.action,
        action_description=action_description(step),
    )


def action_description(step: PlanStep) -> str:
    """What the catalog says the step's action does; "" for none, or one it no longer has."""
    if not step.action:
        return ""
    plan = step.plan
    # Read once per page: the page's steps share their plan object.
    actions = getattr(plan, "_catalog_actions", None)
    if actions is None:
        actions = actions_for(plan.team_id)
        setattr(plan, "_catalog_actions", actions)  # noqa: B010 - not a model field
    found = actions.get(step.action)
    return found.description if found is not None else "(no longer in the catalog)"


def params_of(params: Any) -> list[Param]:
    """Each top-level parameter, in the order the plan gave them."""
    if not isinstance(params, dict):
        return [_param("(params)", params)] if params not in (None, {}) else []
    return [_param(str(name), value) for name, value in params.items()]


def _param(name: str, value: Any) -> Param:
    compact = json.dumps(value, ensure_ascii=False, default=str)
    if len(compact) <= SHORT_VALUE and "\n" not in compact:
        return Param(name=name, text=compact)
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return Param(name=name, text=text, preview=compact[:PREVIEW] + "…")
