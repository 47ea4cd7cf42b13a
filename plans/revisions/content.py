"""What a version of a plan is: its content as plain JSON, its hash, and its revision row.

`plans/services.py` records a revision here on every version bump; the revision services and the
diff read the content back. Imports only the models, so the services can use it.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace
from typing import Any

from django.db.models import JSONField, Value
from django.db.models.functions import Cast

from plans.deadlines.rules import Deadline
from plans.dependencies import dependencies_of
from plans.models import Plan, PlanRevision, PlanStep
from plans.states import StepStatus

# Every field of a step that says what runs, in display order.
STEP_FIELDS = (
    "key",
    "title",
    "task",
    "hint",
    "executor",
    "params",
    "context",
    "depends_on",
    "max_attempts",
    "timeout_seconds",
    "for_each",
)
# Fields that say what runs, when the plan model has them (a gate before a step, what happens
# when it fails): kept in the content as soon as the step rows carry them.
OPTIONAL_STEP_FIELDS = ("approval", "on_failure")
# What a step checks, how it recovers and what it should cost: kept in the content when set.
CHECK_FIELDS = ("guardrails", "quality", "recover", "estimated_cost")
# The catalog action a step names and its inputs (plans/catalog/): kept in the content when set.
CATALOG_FIELDS = ("action", "inputs")
ARTIFACT_FIELDS = ("title", "summary", "assumptions", "parameters", "proposed_plan")
# What step_content() reads beyond the fields above.
READ_FIELDS = (
    "status",
    "skip_reason",
    "deadline_seconds",
    "deadline_until",
    "on_timeout",
    "approval_count",
)


def step_content(step: PlanStep) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for name in STEP_FIELDS:
        if name == "depends_on":
            content[name] = sorted(d.key for d in dependencies_of(step))
        else:
            content[name] = getattr(step, name)
    for name in OPTIONAL_STEP_FIELDS:
        if hasattr(step, name):
            content[name] = getattr(step, name)
    # A gate's deadline as submitted (kept out of gates without one, so their content, and the
    # hash approvals bind to, is as it always was).
    # (getattr: a migration that records revisions reads step rows from before deadlines.)
    seconds = getattr(step, "deadline_seconds", None)
    until = getattr(step, "deadline_until", None)
    if seconds is not None or until is not None:
        content["decision_deadline"] = Deadline(seconds=seconds, until=until).as_json()
        content["on_timeout"] = step.on_timeout
    # A gate's quorum, only when it asks for more than one approval from the plan's approvers:
    # the content (and hash) of every other step stays as it was before gates had quorums.
    # (Also called by migrations, with historical steps that may have no such fields.)
    group_id = getattr(step, "approval_group_id", None)
    if group_id is not None or getattr(step, "approval_count", 1) != 1:
        group = step.approval_group
        content["approval"] = {"count": step.approval_count} | (
            {"group": group.name} if group is not None else {}
        )
    # Guardrails, quality gate, recovery recipes and expected cost: only when the step has them,
    # so the content (and hash) of steps without them stays as it was before they existed.
    for name in CHECK_FIELDS:
        value = getattr(step, name, None)
        if value is not None:
            content[name] = float(value) if name == "estimated_cost" else value
    for name in CATALOG_FIELDS:
        if value := getattr(step, name, None):
            content[name] = value
    # A step skipped before approval does not run: the reviewer must see that too.
    content["skipped"] = step.skip_reason if step.status == StepStatus.SKIPPED else None
    return content


def plan_content(plan: Plan, steps: list[PlanStep] | None = None) -> dict[str, Any]:
    """The plan's content as it is in the database now (its own steps, not fan-out items).
    `steps`: its steps as just written (`plans.services.create_steps`), not read again."""
    if steps is None:
        steps = _step_rows(plan)
    deadline: dict[str, Any] = {}
    # (getattr: a migration that records revisions reads plan rows from before deadlines.)
    submitted_deadline = getattr(plan, "decision_deadline", None)
    if submitted_deadline is not None:
        # The deadline as submitted: extensions and escalations move the one in force, not this.
        deadline = {
            "decision_deadline": submitted_deadline.isoformat(),
            "on_timeout": plan.on_timeout,
        }
    return {
        "title": plan.title,
        "goal": plan.goal,
        "delegation": plan.delegation,
        "steps": [step_content(s) for s in steps],
        "artifacts": [
            {name: getattr(a, name) for name in ARTIFACT_FIELDS}
            for a in plan.artifacts.order_by("id")
        ],
        **deadline,
        # (getattr: a migration that records revisions reads plan rows from before budgets.)
        **({"budget": float(budget)} if (budget := getattr(plan, "budget", None)) else {}),
        # Plan inputs (plans/bindings/), when it has any.
        **({"inputs": inputs} if (inputs := getattr(plan, "inputs", None)) else {}),
    }


def _step_rows(plan: Plan) -> list[Any]:
    """The plan's own steps as they are in the database, in position order, each with the
    attributes step_content() reads (and those only the step model has: a migration's historical
    model may lack the newer ones). Read as values, not as step objects, with their
    dependencies' keys and their approver group's name: two queries, and at thousands of steps
    a fraction of the time building objects of every column would take."""
    model = plan.steps.model
    have = {f.name for f in model._meta.concrete_fields}
    wanted = (*STEP_FIELDS, *OPTIONAL_STEP_FIELDS, *CHECK_FIELDS, *CATALOG_FIELDS, *READ_FIELDS)
    columns = [name for name in wanted if name in have and name != "depends_on"]
    grouped = "approval_group" in have
    if grouped:
        columns += ["approval_group", "approval_group__name"]
    rows = []
    by_id: dict[int, Any] = {}
    for values in plan.steps.filter(parent=None).order_by("position").values("id", *columns):
        if grouped:
            name = values.pop("approval_group__name")
            group_id = values.pop("approval_group")
            values["approval_group_id"] = group_id
            values["approval_group"] = None if group_id is None else SimpleNamespace(name=name)
        row = SimpleNamespace(**values)
        # What dependencies_of() gives: objects with a key, here only that.
        row._kept_dependencies = []
        by_id[values["id"]] = row
        rows.append(row)
    through = model.depends_on.through.objects
    for frm, key in through.filter(
        from_planstep__plan_id=plan.pk, from_planstep__parent=None
    ).values_list("from_planstep_id", "to_planstep__key"):
        by_id[frm]._kept_dependencies.append(SimpleNamespace(key=key))
    return rows


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: dict[str, Any]) -> str:
    """sha256 of the content as canonical JSON (sorted keys, no spaces, UTF-8)."""
    return hashlib.sha256(canonical(content).encode()).hexdigest()


def revision_record(
    *,
    plan: Plan,
    actor: str,
    actor_user: Any = None,
    comment: str = "",
    policy: dict[str, Any] | None = None,
    steps: list[PlanStep] | None = None,
) -> Any:
    """Record the plan's current version as a revision. Called inside the transaction that made
    the version, with the plan locked, so the content is the version's and no other writer can
    record the same version (the unique (plan, version) index would refuse it anyway). `policy`
    is what the team's policy decided about it (plans/policy/), kept beside the content;
    `steps` the plan's steps as just written, if the caller has them."""
    content = plan_content(plan, steps)
    text = canonical(content)
    revision = PlanRevision(
        plan=plan,
        version=plan.version,
        # The canonical text as it is, not encoded again (at 10,000 steps, megabytes).
        content=Cast(Value(text), output_field=JSONField()),
        # `content_hash(content)`, without encoding it again: canonical JSON read back encodes
        # to the same text.
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        actor=actor,
        actor_user=actor_user,
        comment=comment,
        policy=policy,
    )
    revision.save()
    # What was written, as values (the database holds them with its own key order).
    revision.content = content
    return revision


def plan_content_hash(plan: Plan) -> str:
    """The hash of the plan's content as it is in the database now."""
    return content_hash(plan_content(plan))
