"""What a planner backend is given and what it answers.

A backend drafts a candidate plan for a brief (the goal, the actions it may name, the inputs
already known) and, when the flow validator found problems with its last candidate, a repair of
that candidate. It also extracts the values of missing plan inputs from a user's message. It
never writes anything: plans/planning/services.py checks, records and creates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from executors.protocol import Usage
from plans.bindings.flow import MissingInput, value_problems
from plans.catalog.spec import ActionSpec
from plans.validation import Loc, Problem, StepDraft

# The fields a candidate's step may have: planners compose actions, never raw executor calls.
STEP_FIELDS = ("key", "title", "task", "action", "inputs", "depends_on")

# The JSON Schema of a candidate, given to model backends as the structured output they must
# produce, and checked here on whatever comes back.
CANDIDATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string", "description": "Why these steps reach the goal."},
        "title": {"type": "string", "description": "A short title for the plan."},
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string", "description": "Unique within the plan."},
                    "title": {"type": "string"},
                    "task": {"type": "string", "description": "What the step does, in words."},
                    "action": {"type": "string", "description": "An action of the catalog."},
                    "inputs": {
                        "type": "object",
                        "description": 'Each input: a literal, {"$from": "<key>.result.<field>"} '
                        'or {"$input": "<plan input name>"}.',
                    },
                    "depends_on": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["key", "task", "action", "inputs"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["reasoning", "steps"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Brief:
    """What the planner is asked: the goal, the actions it may use, the plan inputs already
    known (name -> value) and the requester's instruction."""

    goal: str
    actions: Mapping[str, ActionSpec]
    inputs: Mapping[str, Any] = field(default_factory=dict)
    instruction: str = ""


@dataclass(frozen=True)
class Candidate:
    """A backend's draft: the plan as JSON (`{"title", "reasoning", "steps"}`) and what making
    it cost."""

    plan: Any
    reasoning: str = ""
    usage: Usage | None = None


@dataclass(frozen=True)
class Extraction:
    """Values a backend read out of a message, by input name, with notes for the person who
    confirms them."""

    values: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    usage: Usage | None = None


class Backend(Protocol):
    name: str
    model: str

    def draft(
        self, brief: Brief, *, previous: Candidate | None, problems: Sequence[Problem]
    ) -> Candidate:
        """A candidate plan; with `previous` and its `problems`, a repair of it."""
        ...

    def extract(self, missing: Sequence[MissingInput], message: str) -> Extraction:
        """The values of `missing` inputs that `message` gives."""
        ...


class CannotPlan(Exception):
    """The backend sees no plan for the goal over the actions it was given; the message says
    why (answered as a 422 at the goal)."""


class BackendUnavailable(Exception):
    """The backend could not answer (unreachable, timed out, rate limited, answered nonsense
    the retries did not cure). `counted`: whether it says the backend is unwell (it counts
    towards opening the circuit)."""

    def __init__(self, message: str, *, counted: bool = True, usage: Usage | None = None):
        super().__init__(message)
        self.counted = counted
        self.usage = usage


def candidate_steps(plan: Any) -> tuple[list[StepDraft], list[Problem]]:
    """A candidate's steps as drafts for the validator, or the problems with its shape (each at
    its path in the candidate, e.g. ["steps", 0, "inputs"])."""
    problems = value_problems(CANDIDATE_SCHEMA, plan, ())
    if problems:
        return [], problems
    drafts = []
    for index, step in enumerate(plan["steps"]):
        loc: Loc = ("steps", index)
        drafts.append(
            StepDraft(
                key=step["key"],
                title=step.get("title", ""),
                task=step["task"],
                executor="",
                action=step["action"],
                inputs=step["inputs"],
                depends_on=list(step.get("depends_on") or []),
                loc=loc,
            )
        )
    return drafts, []
