"""Checkpoints: a plan, its steps, artifacts and usage as one versioned JSON document, and back.

`checkpoint_for_plan` reads a plan in one consistent snapshot; `checkpoint_restore` writes it back
(here or on another installation) so that the plan goes on from where it was: finished steps keep
their results, a step that was running goes back to pending and runs again under its next attempt
number. A plan's inputs, each step's action and inputs, and what the plan spent (its usage
records, its `spent` and why its budget holds it) come back with it, so a restored plan's bound
inputs resolve as they would have. Leases, retry times and the event log are not part of a
checkpoint: they describe the workers and the history of one database, not the plan.

The format is described by the pydantic models below; SCHEMA_VERSION goes up on any change a
reader of the previous version would misread.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from executors import registry
from executors.protocol import FailureClass
from plans import services
from plans.budgets.rules import MAX_AMOUNT
from plans.catalog.selectors import actions_for
from plans.guardrails import spec as guardrail_spec
from plans.models import (
    ApproverGroup,
    CostSource,
    DecisionSource,
    EventKind,
    Plan,
    PlanningArtifact,
    PlanStep,
    StepUsage,
    Team,
)
from plans.recovery import recipes as recovery_recipes
from plans.revisions.content import revision_record
from plans.stages import window
from plans.states import (
    STEP_TERMINAL,
    PlanStatus,
    StepStatus,
    step_transition,
)
from plans.validation import Loc, Problem, StepDraft, check_for_each, find_cycles

# A field added with a default for checkpoints that lack it (quorum, budgets, actions, usage)
# leaves the version as it is: older readers forbid unknown fields, so they refuse such a
# checkpoint rather than misread it, and this reader fills in what older ones did not write.
SCHEMA_VERSION = 1

# The largest value a PositiveIntegerField holds on every database.
MAX_COUNT = 2_147_483_647
# And a BigIntegerField.
MAX_TOKENS = 2**63 - 1


class CheckpointError(Exception):
    """A checkpoint this Plangate cannot restore; the message says why."""


class CheckpointInvalid(CheckpointError):
    """A checkpoint whose structure is wrong; `problems` lists each with its JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        lines = "".join(f"\n  {p.path or '(top level)'}: {p.msg}" for p in problems)
        super().__init__(f"the checkpoint is not valid:{lines}")
        self.problems = problems


# --- The format ---------------------------------------------------------------------------------


def _one_of(*allowed: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError(
                "choice", "must be one of {allowed}", {"allowed": ", ".join(map(repr, allowed))}
            )
        return value

    return AfterValidator(check)


# Strict: a checkpoint is JSON written by Plangate, so "3" for 3 or 1 for true is a defect to
# report, not to guess around. Timestamps and ids are strings in JSON, hence lax there.
Timestamp = Annotated[AwareDatetime, Field(strict=False)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class PlanRecord(_Record):
    id: Annotated[UUID, Field(strict=False)]
    team: str = Field(min_length=1, max_length=100, description="The team's name.")
    user_id: str = Field(max_length=200)
    topic_id: str = Field(max_length=200)
    goal: str
    title: str = Field(max_length=300)
    tags: list[Any]
    delegation: dict[str, Any] | None
    status: Annotated[str, _one_of(*PlanStatus.values)]
    version: int = Field(ge=1, le=MAX_COUNT)
    max_concurrency: int = Field(ge=1, le=MAX_COUNT)
    approved_via: Annotated[str, _one_of("", "reviewer", *DecisionSource.values)]
    approved_version: Count | None
    approved_at: Timestamp | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    created_at: Timestamp
    cancel_reason: str
    # Quorum; absent from checkpoints written before it (one approval, from the reviewers).
    required_approvals: int = Field(1, ge=1, le=MAX_COUNT)
    approver_group: str | None = Field(None, description="The approver group's name.")
    # Absent from checkpoints written before plans had budgets.
    budget: Annotated[Decimal, Field(strict=False, gt=0, le=MAX_AMOUNT)] | None = None
    # What it spent so far and why its budget holds it, and its plan inputs; absent from
    # checkpoints written before they were kept (nothing spent, no inputs).
    spent: Annotated[Decimal, Field(strict=False, ge=0, le=MAX_AMOUNT)] = Decimal(0)
    hold_reason: str = Field("", max_length=200)
    inputs: dict[str, Any] = Field(default_factory=dict)


class StepRecord(_Record):
    key: str = Field(min_length=1, max_length=200)
    position: Count
    title: str = Field(max_length=300)
    task: str
    hint: str
    executor: str = Field(min_length=1, max_length=100)
    params: dict[str, Any]
    context: dict[str, Any]
    depends_on: list[str] = Field(description="Keys of the steps this one waits for.")
    status: Annotated[str, _one_of(*StepStatus.values)]
    result: Any
    error: str
    failure_class: Annotated[str, _one_of("", *FailureClass.values)]
    skip_reason: str
    attempts: Count
    max_attempts: int | None = Field(ge=1, le=MAX_COUNT)
    timeout_seconds: float | None = Field(gt=0)
    lost_leases: Count
    # Absent from checkpoints written before it was kept.
    spared_attempts: Count = 0
    # Gates and rescue; absent from checkpoints written before them (no gate, fail the plan).
    approval: Annotated[str, _one_of("none", "required")] = "none"
    gate_approved_by: str = ""
    gate_approved_at: Timestamp | None = None
    gate_params_edited: bool = False
    # A gate's quorum (absent before it was kept: one approval from the plan's approvers).
    approval_group: str | None = Field(None, description="The approver group's name.")
    approval_count: int = Field(1, ge=1, le=MAX_COUNT)
    on_failure: Annotated[str, _one_of("fail", "ask")] = "fail"
    # Guardrails, quality gate, recovery recipes, expected cost; absent before they existed.
    guardrails: dict[str, Any] | None = None
    quality: dict[str, Any] | None = None
    recover: dict[str, Any] | None = None
    estimated_cost: Annotated[Decimal, Field(strict=False, ge=0, le=MAX_AMOUNT)] | None = None
    asks_reviewer: bool = False
    # What a recovery switched the step to, and the recipes used (plans/recovery/); absent
    # before they were kept.
    run_executor: str = Field("", max_length=100)
    run_params: dict[str, Any] | None = None
    recoveries: list[str] = Field(default_factory=list)
    # The catalog action the step names and its inputs, bindings included (plans/catalog/);
    # absent before they were kept.
    action: str = Field("", max_length=100)
    inputs: dict[str, Any] | None = None
    for_each: dict[str, Any] | None
    parent: str | None = Field(description="Key of the fan-out step this one is an item of.")
    item_index: Count | None
    stage_index: Count | None
    item: Any
    started_at: Timestamp | None
    finished_at: Timestamp | None


class ArtifactRecord(_Record):
    title: str = Field(max_length=300)
    summary: str
    assumptions: list[Any]
    parameters: dict[str, Any]
    proposed_plan: Any
    created_at: Timestamp


class UsageRecord(_Record):
    """What one attempt of a step consumed and cost (plans.models.StepUsage)."""

    step: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The step's key; null for the planner's calls that made the plan.",
    )
    attempt: Count
    model: str = Field(max_length=200)
    input_tokens: int = Field(ge=0, le=MAX_TOKENS)
    output_tokens: int = Field(ge=0, le=MAX_TOKENS)
    units: dict[str, Any]
    cost: Annotated[Decimal, Field(strict=False, ge=0, le=MAX_AMOUNT)]
    cost_source: Annotated[str, _one_of(*CostSource.values)]
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (UTC).")
    created_at: Timestamp


class Checkpoint(_Record):
    """A plan as `GET /api/v1/plans/{id}/checkpoint` returns it and `import_checkpoint` reads it."""

    schema_version: int
    exported_at: Timestamp
    plan: PlanRecord
    steps: list[StepRecord] = Field(min_length=1)
    artifacts: list[ArtifactRecord]
    # Absent from checkpoints written before usage was kept.
    usage: list[UsageRecord] = Field(default_factory=list)


# --- Export -------------------------------------------------------------------------------------


def checkpoint_for_plan(plan: Plan) -> dict[str, Any]:
    """The plan, its steps and its artifacts as a JSON-ready dict (see `Checkpoint`), read in one
    snapshot. Raises Plan.DoesNotExist if the plan was deleted meanwhile."""
    with _snapshot():
        plan = Plan.objects.select_related("team", "approver_group").get(pk=plan.pk)
        steps = list(plan.steps.select_related("approval_group").order_by("position", "pk"))
        Through = PlanStep.depends_on.through
        depends_on: dict[int, list[int]] = defaultdict(list)
        # In the order the dependencies were recorded, so a round trip keeps it.
        for from_id, to_id in (
            Through.objects.filter(from_planstep__plan=plan)
            .order_by("pk")
            .values_list("from_planstep_id", "to_planstep_id")
        ):
            depends_on[from_id].append(to_id)
        artifacts = list(plan.artifacts.order_by("pk"))
        usage = list(plan.usage_records.order_by("pk"))
    key_of = {s.pk: s.key for s in steps}
    return {
        "schema_version": SCHEMA_VERSION,
        "exported_at": timezone.now().isoformat(),
        "plan": {
            "id": str(plan.pk),
            "team": plan.team.name,
            "user_id": plan.user_id,
            "topic_id": plan.topic_id,
            "goal": plan.goal,
            "title": plan.title,
            "tags": plan.tags,
            "delegation": plan.delegation,
            "status": plan.status,
            "version": plan.version,
            "max_concurrency": plan.max_concurrency,
            "approved_via": plan.approved_via,
            "approved_version": plan.approved_version,
            "approved_at": _iso(plan.approved_at),
            "started_at": _iso(plan.started_at),
            "finished_at": _iso(plan.finished_at),
            "created_at": _iso(plan.created_at),
            "cancel_reason": plan.cancel_reason,
            "required_approvals": plan.required_approvals,
            "approver_group": plan.approver_group.name if plan.approver_group else None,
            "budget": None if plan.budget is None else str(plan.budget),
            "spent": str(plan.spent),
            "hold_reason": plan.hold_reason,
            "inputs": plan.inputs or {},
        },
        "steps": [
            {
                "key": s.key,
                "position": s.position,
                "title": s.title,
                "task": s.task,
                "hint": s.hint,
                "executor": s.executor,
                "params": s.params,
                "context": s.context,
                "depends_on": [key_of[d] for d in depends_on[s.pk]],
                "status": s.status,
                "result": s.result,
                "error": s.error,
                "failure_class": s.failure_class,
                "skip_reason": s.skip_reason,
                "attempts": s.attempts,
                "max_attempts": s.max_attempts,
                "timeout_seconds": s.timeout_seconds,
                "lost_leases": s.lost_leases,
                "spared_attempts": s.spared_attempts,
                "approval": s.approval,
                "gate_approved_by": s.gate_approved_by,
                "gate_approved_at": _iso(s.gate_approved_at),
                "gate_params_edited": s.gate_params_edited,
                "approval_group": s.approval_group.name if s.approval_group else None,
                "approval_count": s.approval_count,
                "on_failure": s.on_failure,
                "guardrails": s.guardrails,
                "quality": s.quality,
                "recover": s.recover,
                "estimated_cost": None if s.estimated_cost is None else str(s.estimated_cost),
                "asks_reviewer": s.asks_reviewer,
                "run_executor": s.run_executor,
                "run_params": s.run_params,
                "recoveries": s.recoveries,
                "action": s.action,
                "inputs": s.inputs,
                "for_each": s.for_each,
                "parent": key_of[s.parent_id] if s.parent_id is not None else None,
                "item_index": s.item_index,
                "stage_index": s.stage_index,
                "item": s.item,
                "started_at": _iso(s.started_at),
                "finished_at": _iso(s.finished_at),
            }
            for s in steps
        ],
        "artifacts": [
            {
                "title": a.title,
                "summary": a.summary,
                "assumptions": a.assumptions,
                "parameters": a.parameters,
                "proposed_plan": a.proposed_plan,
                "created_at": _iso(a.created_at),
            }
            for a in artifacts
        ],
        "usage": [
            {
                "step": key_of[u.step_id] if u.step_id is not None else None,
                "attempt": u.attempt,
                "model": u.model,
                "input_tokens": u.input_tokens,
                "output_tokens": u.output_tokens,
                "units": u.units,
                "cost": str(u.cost),
                "cost_source": u.cost_source,
                "month": u.month,
                "created_at": _iso(u.created_at),
            }
            for u in usage
        ],
    }


@contextmanager
def _snapshot() -> Iterator[None]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Under READ COMMITTED every statement sees what committed before it, so a worker
            # finishing a step between our reading the steps and their dependencies would give
            # a checkpoint of a state the plan was never in. REPEATABLE READ answers every
            # statement from the snapshot of the first, and takes no lock that would hold a
            # worker up. (Inside a caller's transaction the caller's isolation applies; on
            # SQLite the transaction alone is one snapshot.)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Restore ------------------------------------------------------------------------------------


def checkpoint_parse(data: Any) -> Checkpoint:
    """Check a checkpoint (as parsed from JSON) without writing anything.

    Raises CheckpointError for a schema version newer than this Plangate's, CheckpointInvalid
    listing every problem (with its JSON path) for anything else that is wrong.
    """
    if not isinstance(data, dict):
        raise CheckpointInvalid([Problem((), "a checkpoint is a JSON object")])
    if "schema_version" not in data:
        raise CheckpointInvalid(
            [Problem(("schema_version",), "missing: this is not a Plangate checkpoint")]
        )
    version = data["schema_version"]
    if type(version) is not int:
        raise CheckpointInvalid(
            [Problem(("schema_version",), f"must be an integer, not {version!r}")]
        )
    if version > SCHEMA_VERSION:
        raise CheckpointError(
            f"checkpoint schema version {version} is newer than this Plangate understands "
            f"({SCHEMA_VERSION}); upgrade Plangate"
        )
    if version != SCHEMA_VERSION:
        raise CheckpointInvalid(
            [
                Problem(
                    ("schema_version",),
                    f"unknown schema version {version}; this Plangate reads version "
                    f"{SCHEMA_VERSION}",
                )
            ]
        )
    # PostgreSQL stores no NUL character in text or jsonb; find them here, with their path,
    # rather than as a database error halfway through the restore.
    problems = [Problem(loc, "contains a NUL character (\\u0000)") for loc in _nul_locs(data, ())]
    try:
        checkpoint = Checkpoint.model_validate(data)
    except PydanticValidationError as exc:
        problems.extend(Problem(tuple(e["loc"]), e["msg"]) for e in exc.errors())
        raise CheckpointInvalid(problems) from None
    problems.extend(_step_problems(checkpoint.steps))
    keys = {s.key for s in checkpoint.steps}
    problems.extend(
        Problem(("usage", i, "step"), f"no step {u.step!r} in the checkpoint")
        for i, u in enumerate(checkpoint.usage)
        if u.step is not None and u.step not in keys
    )
    if problems:
        raise CheckpointInvalid(problems)
    return checkpoint


def _nul_locs(value: Any, loc: Loc) -> Iterator[Loc]:
    if isinstance(value, str):
        if "\x00" in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                yield (*loc, str(key))
            else:
                yield from _nul_locs(item, (*loc, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_locs(item, (*loc, index))


def _step_problems(steps: list[StepRecord]) -> list[Problem]:
    """Keys, dependencies and fan-out parents that do not fit together, and for_each specs the
    API would refuse."""
    problems: list[Problem] = []
    first_at: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step.key in first_at:
            problems.append(
                Problem(
                    ("steps", i, "key"),
                    f"duplicate key {step.key!r} (also at steps[{first_at[step.key]}])",
                )
            )
        else:
            first_at[step.key] = i
    for i, step in enumerate(steps):
        for j, dep in enumerate(step.depends_on):
            if dep == step.key:
                problems.append(
                    Problem(("steps", i, "depends_on", j), f"step {dep!r} depends on itself")
                )
            elif dep not in first_at:
                problems.append(
                    Problem(("steps", i, "depends_on", j), f"no step {dep!r} in the checkpoint")
                )
        if step.parent == step.key:
            problems.append(Problem(("steps", i, "parent"), "a step cannot be its own parent"))
        elif step.parent is not None and step.parent not in first_at:
            problems.append(
                Problem(("steps", i, "parent"), f"no step {step.parent!r} in the checkpoint")
            )
        # The same rules as at submission: the engine trusts a stored step's checks and recipes.
        draft = StepDraft(
            key=step.key,
            task=step.task,
            executor=step.executor,
            guardrails=step.guardrails,
            quality=step.quality,
            recover=step.recover,
            loc=("steps", i),
        )
        problems.extend(guardrail_spec.problems(draft))
        problems.extend(recovery_recipes.problems(draft))
        if step.for_each is not None:
            # The same rules as at submission: the worker and the queue trust a for_each once it
            # is stored (a max_concurrency of 0 would hold every item back for good).
            problems.extend(
                check_for_each(
                    StepDraft(
                        key=step.key,
                        task=step.task,
                        executor=step.executor,
                        depends_on=step.depends_on,
                        for_each=step.for_each,
                        loc=("steps", i),
                    ),
                    check_executor=_executor_checked_later,
                    max_fan_out=settings.PLANGATE_MAX_FAN_OUT,
                )
            )
    graph = {s.key: s.depends_on for s in steps}
    for cycle in find_cycles(graph):
        problems.append(
            Problem(
                ("steps", first_at[cycle[0]], "depends_on"),
                "dependency cycle: " + " -> ".join([*cycle, cycle[0]]),
            )
        )
    for cycle in find_cycles({s.key: [s.parent] for s in steps if s.parent is not None}):
        problems.append(
            Problem(
                ("steps", first_at[cycle[0]], "parent"),
                "parent cycle: " + " -> ".join([*cycle, cycle[0]]),
            )
        )
    return problems


def _executor_checked_later(name: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    # A stage's executor is checked with the steps' in checkpoint_restore (_check_executors),
    # and, as for a step, its params are not checked again.
    return []


@transaction.atomic
def checkpoint_restore(data: Any, *, team: Team | None = None, new_id: bool = False) -> Plan:
    """Create the plan a checkpoint describes, in `team` (by default the team it names), under
    its own id or, with `new_id`, a new one. Returns the plan.

    Finished steps keep their status, result and error; a step that was running goes back to
    pending with its attempts kept, so it runs again as the next attempt; every step's
    `waiting_on` is counted afresh. The plan keeps its status: an executing plan is taken up by
    the workers at once. Records a plan.restored event.

    Raises CheckpointError (CheckpointInvalid for a malformed checkpoint) for a newer schema
    version, an unknown team, an id that exists, or executors not registered here. Everything
    is checked before anything is written, and all of it is one transaction.
    """
    checkpoint = checkpoint_parse(data)
    if team is None:
        team = Team.objects.filter(name=checkpoint.plan.team).first()
        if team is None:
            raise CheckpointError(
                f"no team named {checkpoint.plan.team!r} here; create it, or restore the plan "
                "into another team (--team)"
            )
    _check_executors(checkpoint.steps)
    _check_actions(checkpoint.steps, team)
    groups = _approver_groups(checkpoint, team)
    plan_id = uuid.uuid4() if new_id else checkpoint.plan.id
    if Plan.objects.filter(pk=plan_id).exists():
        raise _exists(plan_id)
    plan = _create_plan(checkpoint.plan, plan_id=plan_id, team=team, groups=groups)
    steps = _create_steps(plan, checkpoint.steps, groups=groups)
    # Items of a fan-out wait for the item max_concurrency before them without a dependency row.
    _restore_waits(plan)
    _create_artifacts(plan, checkpoint.artifacts)
    _create_usage(plan, steps, checkpoint.usage)
    # Earlier revisions are not in a checkpoint: the restored version is the plan's record here,
    # and what a later approval is checked against.
    revision_record(plan=plan, actor=services.SYSTEM.label, comment="restored from a checkpoint")
    finished = sum(1 for s in steps if s.status in STEP_TERMINAL)
    services._record(
        plan,
        EventKind.PLAN_RESTORED,
        services.SYSTEM,
        data={
            "exported_at": checkpoint.exported_at.isoformat(),
            "schema_version": checkpoint.schema_version,
            "steps": len(steps),
            "finished": finished,
        },
    )
    if plan.status in {PlanStatus.APPROVED, PlanStatus.EXECUTING}:
        # Sent at commit: a listening worker woken by it finds the restored plan.
        services.notify_workers()
    return plan


def _restore_waits(plan: Plan) -> None:
    """After a restore from a checkpoint, which counts only dependency rows: of the items not
    yet started, only as many may start as max_concurrency leaves free beside the items under
    way; the others wait for a slot again, as they did before."""
    for parent in plan.steps.filter(
        status=StepStatus.IN_PROGRESS, parent=None, for_each__isnull=False
    ):
        k = window(parent.for_each)
        children = list(
            PlanStep.objects.filter(parent=parent).values_list(
                "pk", "item_index", "stage_index", "status"
            )
        )
        unended = {i for _, i, _, status in children if status not in STEP_TERMINAL}
        not_started = sorted(
            (i, pk)
            for pk, i, j, status in children
            if j == 0 and status == StepStatus.PENDING and i is not None
        )
        free = k - (len(unended) - len(not_started))
        waiting = [pk for _, pk in not_started[max(free, 0) :]]
        PlanStep.objects.filter(pk__in=waiting).update(waiting_on=1)


def _check_executors(steps: list[StepRecord]) -> None:
    unknown: dict[str, list[str]] = defaultdict(list)
    for step in steps:
        # A pipeline's stages run under executors of their own once the step fans out.
        stages = (step.for_each or {}).get("stages") or []
        # So does a recovery's fallback.
        fallback = [step.run_executor] if step.run_executor else []
        for name in dict.fromkeys([step.executor, *fallback, *(s["executor"] for s in stages)]):
            if not registry.is_registered(name):
                unknown[name].append(step.key)
    if unknown:
        named = "; ".join(
            f"{name!r} ({'step' if len(keys) == 1 else 'steps'} {', '.join(map(repr, keys))})"
            for name, keys in unknown.items()
        )
        raise CheckpointError(
            f"executors not registered here: {named}; registered: {', '.join(registry.names())}"
        )


def _check_actions(steps: list[StepRecord], team: Team) -> None:
    """Raises CheckpointError for actions the team's catalog does not have: without its
    action, a step's bound inputs would run unchecked."""
    named = [s for s in steps if s.action]
    if not named:
        return
    catalog = actions_for(team)
    unknown: dict[str, list[str]] = defaultdict(list)
    for step in named:
        if step.action not in catalog:
            unknown[step.action].append(step.key)
    if unknown:
        listed = "; ".join(
            f"{name!r} ({'step' if len(keys) == 1 else 'steps'} {', '.join(map(repr, keys))})"
            for name, keys in unknown.items()
        )
        raise CheckpointError(
            f"actions not in the catalog of team {team.name!r}: {listed}; "
            f"it has: {', '.join(catalog) or '(none)'}"
        )


def _exists(plan_id: UUID) -> CheckpointError:
    return CheckpointError(
        f"plan {plan_id} already exists; restore the checkpoint as a new plan (--new-id)"
    )


def _approver_groups(checkpoint: Checkpoint, team: Team) -> dict[str, ApproverGroup]:
    """The team's approver groups the checkpoint names, by name. Raises CheckpointError for one
    the team does not have: restoring without it would let fewer people decide."""
    names = {checkpoint.plan.approver_group} | {s.approval_group for s in checkpoint.steps}
    names.discard(None)
    found = {g.name: g for g in team.approver_groups.filter(name__in=names)}
    missing = sorted(n for n in names if n is not None and n not in found)
    if missing:
        raise CheckpointError(
            f"team {team.name!r} has no approver group {', '.join(map(repr, missing))}; "
            "create it before restoring"
        )
    return found


def _create_plan(
    record: PlanRecord, *, plan_id: UUID, team: Team, groups: dict[str, ApproverGroup]
) -> Plan:
    try:
        # The primary key settles a race with another restore of the same checkpoint: the
        # second insert fails here, and its transaction rolls back with nothing written.
        with transaction.atomic():
            plan = Plan.objects.create(
                id=plan_id,
                team=team,
                user_id=record.user_id,
                topic_id=record.topic_id,
                goal=record.goal,
                title=record.title,
                tags=record.tags,
                delegation=record.delegation,
                # Kept, not transitioned: a restore writes down a state the plan was in, it does
                # not move the plan on.
                status=record.status,
                version=record.version,
                max_concurrency=record.max_concurrency,
                # Checkpoints written before decisions had sources said "reviewer".
                approved_via=DecisionSource.BROWSER
                if record.approved_via == "reviewer"
                else record.approved_via,
                approved_version=record.approved_version,
                approved_at=record.approved_at,
                started_at=record.started_at,
                finished_at=record.finished_at,
                cancel_reason=record.cancel_reason,
                required_approvals=record.required_approvals,
                approver_group=groups.get(record.approver_group or ""),
                budget=record.budget,
                spent=record.spent,
                hold_reason=record.hold_reason,
                inputs=record.inputs,
            )
    except IntegrityError:
        raise _exists(plan_id) from None
    # created_at is set on insert whatever we pass; put the original back.
    plan.created_at = record.created_at
    plan.save(update_fields=["created_at"])
    return plan


def _create_steps(
    plan: Plan, records: list[StepRecord], *, groups: dict[str, ApproverGroup]
) -> list[PlanStep]:
    has_children = {r.parent for r in records if r.parent is not None}
    status = {r.key: _restored_status(r, expanded=r.key in has_children) for r in records}
    done = _done_for_dependents(status, {r.key: set(r.depends_on) for r in records})
    steps = PlanStep.objects.bulk_create(
        PlanStep(
            plan=plan,
            key=r.key,
            position=r.position,
            title=r.title,
            task=r.task,
            hint=r.hint,
            executor=r.executor,
            params=r.params,
            context=r.context,
            # Counted for every step, as the queue counts it down for every dependent.
            waiting_on=len(set(r.depends_on) - done),
            status=status[r.key],
            result=r.result,
            error=r.error,
            failure_class=r.failure_class,
            skip_reason=r.skip_reason,
            attempts=r.attempts,
            max_attempts=r.max_attempts,
            timeout_seconds=r.timeout_seconds,
            lost_leases=r.lost_leases,
            # An attempt cut short by the checkpoint does not count against max_attempts.
            spared_attempts=r.spared_attempts
            + (r.status == StepStatus.IN_PROGRESS and status[r.key] == StepStatus.PENDING),
            approval=r.approval,
            gate_approved_by=r.gate_approved_by,
            gate_approved_at=r.gate_approved_at,
            gate_params_edited=r.gate_params_edited,
            approval_group=groups.get(r.approval_group or ""),
            approval_count=r.approval_count,
            on_failure=r.on_failure,
            guardrails=r.guardrails,
            quality=r.quality,
            recover=r.recover,
            estimated_cost=r.estimated_cost,
            asks_reviewer=r.asks_reviewer,
            run_executor=r.run_executor,
            run_params=r.run_params,
            recoveries=r.recoveries,
            action=r.action,
            inputs=r.inputs,
            for_each=r.for_each,
            item_index=r.item_index,
            stage_index=r.stage_index,
            item=r.item,
            started_at=None if status[r.key] == StepStatus.PENDING else r.started_at,
            finished_at=None if status[r.key] == StepStatus.PENDING else r.finished_at,
        )
        for r in records
    )
    ids = {s.key: s.pk for s in steps}
    Through = PlanStep.depends_on.through
    Through.objects.bulk_create(
        Through(from_planstep_id=ids[r.key], to_planstep_id=ids[dep])
        for r in records
        for dep in dict.fromkeys(r.depends_on)
    )
    children = []
    for step, r in zip(steps, records, strict=True):
        if r.parent is not None:
            step.parent_id = ids[r.parent]
            children.append(step)
    PlanStep.objects.bulk_update(children, ["parent"])
    return steps


def _done_for_dependents(status: dict[str, str], depends_on: dict[str, set[str]]) -> set[str]:
    """The steps their dependents no longer wait for: completed ones, and skipped ones whose
    own dependencies are all done (a skipped step still holds its dependents back until then,
    as plans.services.release_dependents counts it)."""
    done = {key for key, s in status.items() if s == StepStatus.COMPLETED}
    skipped = [key for key, s in status.items() if s == StepStatus.SKIPPED]
    changed = True
    while changed:
        changed = False
        for key in skipped:
            if key not in done and depends_on.get(key, set()) <= done:
                done.add(key)
                changed = True
    return done


def _restored_status(record: StepRecord, *, expanded: bool) -> str:
    if record.status != StepStatus.IN_PROGRESS or expanded:
        # A fan-out step that has its children is in progress without a worker: it waits for
        # them, and they are restored with it. Starting it again would fan out a second time.
        return record.status
    # Its worker is gone (or was on another installation): it runs again, as the next attempt.
    return step_transition(StepStatus.IN_PROGRESS, StepStatus.PENDING)


def _create_artifacts(plan: Plan, records: list[ArtifactRecord]) -> None:
    artifacts = PlanningArtifact.objects.bulk_create(
        PlanningArtifact(
            plan=plan,
            title=r.title,
            summary=r.summary,
            assumptions=r.assumptions,
            parameters=r.parameters,
            proposed_plan=r.proposed_plan,
        )
        for r in records
    )
    # As for the plan: the insert set created_at to now.
    for artifact, r in zip(artifacts, records, strict=True):
        artifact.created_at = r.created_at
    PlanningArtifact.objects.bulk_update(artifacts, ["created_at"])


def _create_usage(plan: Plan, steps: list[PlanStep], records: list[UsageRecord]) -> None:
    """The plan's usage records, as they were. The team's monthly spending is left as it is:
    it counts what ran on this installation, and a copy restored beside its original would
    count the same attempts twice."""
    ids = {s.key: s.pk for s in steps}
    rows = StepUsage.objects.bulk_create(
        StepUsage(
            plan=plan,
            step_id=ids[r.step] if r.step is not None else None,
            team_id=plan.team_id,
            attempt=r.attempt,
            model=r.model,
            input_tokens=r.input_tokens,
            output_tokens=r.output_tokens,
            units=r.units,
            cost=r.cost,
            cost_source=r.cost_source,
            month=r.month,
        )
        for r in records
    )
    # As for the artifacts: the insert set created_at to now.
    for row, r in zip(rows, records, strict=True):
        row.created_at = r.created_at
    StepUsage.objects.bulk_update(rows, ["created_at"])
