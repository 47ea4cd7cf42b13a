"""The gate box of a step awaiting approval, as its row shows it: its real inputs, its params,
and the decision forms (with what a refused decision said)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from plans.gates.selectors import gate_inputs
from plans.models import PlanStep

# Inputs longer than this (characters of indented JSON) are shown folded.
FOLD_AFTER = 600


@dataclass(frozen=True)
class GateInput:
    key: str
    value: Any
    folded: bool


@dataclass(frozen=True)
class GateBox:
    inputs: list[GateInput]
    # The params textarea's text: the step's params, or what the reviewer sent back.
    params_text: str
    error: str = ""
    params_errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GateRefusal:
    """A refused decision, shown in the step's gate box."""

    key: str
    error: str = ""
    params_text: str | None = None
    params_errors: list[str] = field(default_factory=list)


def gate_boxes(steps: list[PlanStep], refusal: GateRefusal | None = None) -> dict[str, GateBox]:
    """The gate box of each step awaiting approval, by key."""
    inputs = gate_inputs(steps)
    boxes = {}
    for step in steps:
        if step.pk not in inputs:
            continue
        mine = refusal if refusal is not None and refusal.key == step.key else None
        params_text = json.dumps(step.params, indent=2, ensure_ascii=False)
        if mine is not None and mine.params_text is not None:
            params_text = mine.params_text
        boxes[step.key] = GateBox(
            inputs=[
                GateInput(
                    key=key,
                    value=value,
                    folded=len(json.dumps(value, indent=2, default=str)) > FOLD_AFTER,
                )
                for key, value in inputs[step.pk].items()
            ],
            params_text=params_text,
            error=mine.error if mine else "",
            params_errors=mine.params_errors if mine else [],
        )
    return boxes
