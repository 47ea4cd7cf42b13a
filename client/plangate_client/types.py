"""What the API answers, as typed dictionaries: the JSON as it comes, with the fields a client
reads most. Plangate may add fields; they are there too."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

Until = Literal["decision", "end"]


class Step(TypedDict, total=False):
    key: str
    title: str
    task: str
    hint: str
    executor: str
    params: dict[str, Any]
    depends_on: list[str]
    status: str  # pending, awaiting_approval, in_progress, completed, failed, skipped
    result: Any
    error: str
    skip_reason: str
    attempts: int
    started_at: str | None
    finished_at: str | None


class Plan(TypedDict, total=False):
    id: str
    title: str
    goal: str
    user_id: str
    topic_id: str
    tags: list[str]
    # draft, changes_requested, approved, executing, needs_attention, completed, failed, cancelled
    status: str
    version: int
    created_at: str
    cancel_reason: str
    changes_requested: dict[str, Any] | None
    steps: list[Step]
    artifacts: list[dict[str, Any]]
    inputs: dict[str, Any]
    # Each {"name", "value_schema", "steps"}: what supply_inputs must still give.
    missing_inputs: list[dict[str, Any]]


class PlanPage(TypedDict):
    count: int
    limit: int
    offset: int
    items: list[Plan]


class Event(TypedDict):
    id: int
    kind: str  # plan.created, plan.approved, step.completed, ...
    step_key: str
    actor: str
    data: dict[str, Any]
    created_at: str


class WaitResult(TypedDict):
    done: bool  # false: the wait's time ran out first
    waited_for: Until
    status: str
    version: int
    waited_seconds: float
    plan: Plan


class Revision(TypedDict, total=False):
    version: int
    content: dict[str, Any]
    created_at: str


class ParsedInputs(TypedDict):
    values: dict[str, Any]  # input name -> value read from the message
    missing: list[str]  # names still missing after these values
    notes: list[str]  # what could not be read, and why
