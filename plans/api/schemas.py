"""Request and response bodies of the JSON API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import (
    ConfigDict,
    ModelWrapValidatorHandler,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from plans import selectors, stages
from plans.api.budget_schemas import PlanUsageOut, UsageOut, plan_usage
from plans.approvals import selectors as approval_selectors
from plans.budgets import selectors as budget_selectors
from plans.catalog import selectors as catalog_selectors
from plans.deadlines import selectors as deadline_selectors
from plans.dependencies import loaded_dependencies
from plans.discussion.selectors import ChangeRequest, latest_change_request
from plans.guardrails import selectors as guardrail_selectors
from plans.models import CircuitState, Plan, PlanStep
from plans.policy import selectors as policy_selectors
from plans.recovery import selectors as recovery_selectors
from plans.selectors import Circuit
from plans.states import PlanStatus, StepStatus

# Declares in the OpenAPI document that a string may not hold NUL characters (RequestBody
# refuses them, with the path of the first one, also where the schema cannot say so: in params).
NO_NUL = r"^[^\u0000]*$"
Text = Annotated[str, Field(json_schema_extra={"pattern": NO_NUL})]
NonEmpty = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1),
    Field(json_schema_extra={"pattern": NO_NUL}),
]


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    # Replaces ninja's root validator, which validates a schema forbidding extra fields twice
    # (once as given, once through its attribute getter) and so each nested one four times: a
    # request body is plain JSON with nothing to resolve, so it is validated once, as pydantic
    # does (at 10,000 steps that is most of a submission's parsing).
    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        return handler(values)


class BodyPart(StrictSchema):
    """Part of a JSON request body, validated as strictly as the OpenAPI document describes it:
    an integer is an integer, not `true` or `"3"`; a boolean is `true` or `false`, not `1`; a
    number is not `true`. (A field that JSON carries as a string and Python holds as another
    type, a time or an id, says `strict=False`.)"""

    model_config = ConfigDict(extra="forbid", strict=True)


class RequestBody(BodyPart):
    """A whole request body. Refuses NUL characters anywhere in it: JSON allows them, but
    PostgreSQL cannot store them in text, and no plan needs them."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # Most bodies have none: one pass of the JSON encoder (which escapes NUL as \u0000)
        # says so; only a body that has one is walked for its path.
        if _may_hold_nul(data) and (path := _nul_path(data, "")):
            raise ValueError(f"{path or 'the body'} contains a NUL character (\\u0000)")
        return data


def _may_hold_nul(value: Any) -> bool:
    try:
        return "\\u0000" in json.dumps(value)
    except (TypeError, ValueError):
        return True


def _nul_path(value: Any, path: str) -> str | None:
    """The path of the first string (or object key) in `value` holding a NUL character."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here
            if (found := _nul_path(item, here)) is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _nul_path(item, f"{path}[{index}]")) is not None:
                return found
    return None


OnFailureIn = Literal["fail", "ask"]
OnTimeoutIn = Literal["cancel", "skip", "escalate", "approve"]
# Seconds (a positive number) or an ISO 8601 time with a time zone; checked by plans/deadlines/.
DeadlineIn = StrictInt | StrictFloat | Text
DEADLINE_HELP = (
    "Seconds (from now; for a gate, from when it starts waiting) or an ISO 8601 time with a "
    "time zone, in the future. The team's default if omitted."
)
ON_FAILURE_HELP = (
    "When the step fails for good: 'fail' fails the plan; 'ask' holds the plan (needs_attention) "
    "for a reviewer to retry or skip the step, or fail the plan. The plan's on_failure if omitted."
)


class StepIn(BodyPart):
    # Emptiness of key and task is checked with the plan as a whole, so every problem is listed.
    key: Text = Field(max_length=200)
    title: Text = Field("", max_length=300)
    task: Text
    hint: Text = ""
    executor: Text | None = Field(
        None, description="Registered executor name; the default if omitted."
    )
    params: dict[str, Any] = {}
    depends_on: list[Text] = []
    max_attempts: int | None = Field(
        None, ge=1, le=100, description="Attempts in all; the executor's default if omitted."
    )
    timeout_seconds: float | None = Field(
        None, gt=0, le=86400, description="Seconds per attempt; the executor's default if omitted."
    )
    for_each: dict[str, Any] | None = Field(
        None,
        description="Fan out over a list from a dependency's result: "
        '{"over": "<step key>[.<field>...]", "max_concurrency": n, "stages": [...]}.',
    )
    # Checked with the plan (plans/validation.py), so every problem is listed with its path.
    approval: Any = Field(
        "none",
        description='"required": a gate; once its dependencies are done the step waits '
        "(awaiting_approval) for a reviewer to approve or skip it. An object "
        '{"group": "<approver group>", "count": n} is a gate that needs n approvals from '
        "that group (both optional: the plan's approvers, one approval).",
        json_schema_extra={
            "anyOf": [
                {"type": "string", "enum": ["none", "required"]},
                {
                    "type": "object",
                    "properties": {
                        "group": {"type": "string"},
                        "count": {"type": "integer", "minimum": 1},
                    },
                    "additionalProperties": False,
                },
            ]
        },
    )
    on_failure: OnFailureIn | None = Field(None, description=ON_FAILURE_HELP)
    decision_deadline: DeadlineIn | None = Field(None, description="Gates only. " + DEADLINE_HELP)
    on_timeout: OnTimeoutIn | None = Field(
        None,
        description="Gates only: when the deadline passes, 'cancel' the plan, 'skip' the gate, "
        "'escalate' to the next approver group, or 'approve' (if the team allows it).",
    )
    # Checked with the plan (plans/guardrails/, plans/recovery/), so every problem is listed.
    guardrails: dict[str, Any] | None = Field(
        None,
        description='Checks on the step\'s input and result: {"input": [check...], "output": '
        '[check...], "on_block": "fail" | "ask"}. A check is {"schema": {...}}, '
        '{"max_bytes": n}, {"deny": "<regular expression>"} or {"check": "<allowlisted name>"}, '
        'each with "mode": "block" (the default) or "warn".',
    )
    quality: dict[str, Any] | None = Field(
        None,
        description='A quality gate over the result: {"path": "<field>[.<field>...]", '
        '"min": number}; below the minimum the result is blocked as by a guardrail.',
    )
    recover: dict[str, Any] | None = Field(
        None,
        description='Recovery recipes by failure class, e.g. {"rate_limited": {"recipe": '
        '"fallback", "executor": "...", "params": {...}}, "context_overflow": {"recipe": '
        '"adjust", "patch": {...}}}; recipes: retry, fallback, adjust, ask.',
    )
    estimated_cost: float | None = Field(
        None, ge=0, le=1e9, description="What the step is expected to cost (the team's currency)."
    )
    # The action catalog (plans/catalog/): checked with the plan, so every problem is listed.
    action: Text | None = Field(
        None,
        description="A catalog action (GET /api/v1/actions) to run instead of executor and "
        "params; its executor, params and defaults apply.",
    )
    inputs: dict[str, Any] | None = Field(
        None,
        description='The action\'s inputs: each a literal, {"$from": "<step key>.result'
        "[.<field>...]\"} (an earlier step's result; the step depends on it) or "
        '{"$input": "<name>"} (a plan input).',
    )


class ArtifactIn(BodyPart):
    title: Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    summary: Text = Field("", description="Markdown; rendered sanitized on the plan page.")
    assumptions: list[Text] = []
    parameters: dict[str, Any] = {}
    proposed_plan: Any = None


class ArtifactBody(ArtifactIn, RequestBody):
    """An artifact posted on its own. Strings anywhere in it (also inside `parameters`) must not
    contain NUL characters (\\u0000)."""


class PlanIn(RequestBody):
    """A plan: exactly one of `steps` (a list of steps with dependencies) or `delegation` (a
    tree). Strings anywhere in it (also inside `params`) must not contain NUL characters
    (\\u0000)."""

    # Exactly one of the two, as the server checks it: a null counts as absent.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["steps"], "properties": {"steps": {"type": "array"}}},
                {"required": ["delegation"], "properties": {"delegation": {"type": "object"}}},
            ]
        },
    )

    goal: Text = Field("", description="Required, unless the delegation tree carries it.")
    title: Text = Field("", max_length=300)
    user_id: Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    topic_id: Annotated[
        Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    tags: list[Annotated[Text, StringConstraints(max_length=100)]] = Field([], max_length=50)
    artifacts: list[ArtifactIn] = Field([], max_length=100)
    steps: list[StepIn] | None = None
    delegation: dict[str, Any] | None = Field(None, description="A delegation tree: {goal, plan}.")
    max_concurrency: int | None = Field(
        None, ge=1, le=1000, description="Steps of this plan running at once; a default if omitted."
    )
    on_failure: OnFailureIn | None = Field(
        None, description="The default of the steps that do not set on_failure ('fail' if omitted)."
    )
    decision_deadline: DeadlineIn | None = Field(None, description=DEADLINE_HELP)
    on_timeout: OnTimeoutIn | None = Field(
        None,
        description="When the deadline passes: 'cancel' (the team's default unless it says "
        "otherwise), 'escalate' to the next approver group, or 'approve' (if the team allows it).",
    )
    required_approvals: int | None = Field(
        None,
        description="Approvals of the same version that start the plan: 1 to the team's "
        "max_required_approvals; the team's required_approvals if omitted.",
    )
    approver_group: Text | None = Field(
        None,
        description="The name of the team's approver group whose members' approvals count; "
        "the team's reviewers and admins (and tokens with the decide scope) if omitted.",
    )
    budget: float | None = Field(
        None,
        gt=0,
        le=1e9,
        description="What the plan may spend in all; when its spending reaches it, nothing new "
        "starts until a reviewer raises it. No limit of its own if omitted.",
    )
    inputs: dict[str, Any] = Field(
        {},
        description='Values of the steps\' {"$input": "<name>"} bindings; a plan missing some '
        "is a draft that cannot be approved until they are supplied.",
    )


class PlanFilters(Schema):
    status: PlanStatus | None = None
    # Enforced here, not only declared: these go into a query, and PostgreSQL refuses NUL.
    user_id: str = Field("", pattern=NO_NUL)
    topic_id: str = Field("", pattern=NO_NUL)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=2**62)


class EventsQuery(Schema):
    after: int = Field(
        0, ge=0, le=2**63 - 1, description="The last event id you saw; 0 for the first page."
    )
    limit: int = Field(100, description="At most this many events (1 to 1000).")


class ApproveIn(BodyPart):
    version: int = Field(description="The plan version the reviewer saw.")


class CancelIn(RequestBody):
    """Strings must not contain NUL characters (\\u0000)."""

    reason: Text = ""


class SkipIn(RequestBody):
    """Strings must not contain NUL characters (\\u0000)."""

    reason: NonEmpty


class StepItemOut(Schema):
    """A step of a fan-out step's item: one per item, or one per item and stage of a pipeline."""

    key: str
    index: int = Field(description="The item's position in the list fanned out over.")
    stage: str = Field(description="The pipeline stage's name; empty for a plain fan-out.")
    executor: str
    item: Any = Field(description="The item (for a later stage: the previous stage's result).")
    status: str
    result: Any
    error: str
    failure_class: str
    skip_reason: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_index(obj: PlanStep) -> int:
        return obj.item_index or 0

    @staticmethod
    def resolve_stage(obj: PlanStep) -> str:
        # The parent is cached on the child by the selectors' prefetch.
        return stages.stage_name(obj.parent, obj.stage_index) if obj.parent else ""


class QuorumOut(Schema):
    """Approvals of the version under review (or approved) against what it needs."""

    required: int = Field(description="Approvals needed.")
    count: int = Field(description="Approvals so far, each person or token once.")
    by: list[str] = Field(description='Who approved, oldest first: "user:alice", "token:<prefix>".')
    group: str | None = Field(description="The approver group; null: the team's reviewers.")
    needed: int = Field(description="Approvals still needed.")


class GateOut(Schema):
    """Who approved a gated step and when; with edited params, the step.approved event holds the
    params before and after."""

    approved_by: str
    approved_at: datetime
    params_edited: bool


class DeadlineOut(Schema):
    """A pending decision's deadline and what happens when it passes."""

    at: datetime | None = Field(
        description="The deadline in force; null for a gate not yet waiting with a relative one."
    )
    seconds: float | None = Field(
        None, description="A gate not yet waiting: how long it will wait once it does."
    )
    on_timeout: str = Field(description="cancel, skip, escalate or approve.")
    escalates_to: str | None = Field(
        None, description="With escalate: the approver group it passes to next, if any."
    )


class GuardrailFindingOut(Schema):
    """What a guardrail or the quality gate found in one attempt: a warning, or the block."""

    attempt: int | None
    stage: str = Field(description='"input" or "output".')
    check: str = Field(description='The check\'s name, else its type; "quality" for the gate.')
    verdict: str = Field(description='"warn" (recorded only) or "block" (failed the attempt).')
    message: str
    source: str = Field(description='"executor" (PLANGATE_GUARDRAILS) or "step".')


class StepRunsOut(Schema):
    executor: str
    params: dict[str, Any]
    recoveries: list[str] = Field(
        description='Recipes used: "step:<failure class>" or "executor:<name>:<failure class>".'
    )


class StepOut(Schema):
    key: str
    title: str
    task: str
    hint: str
    executor: str
    params: dict[str, Any]
    context: dict[str, Any]
    depends_on: list[str]
    status: str
    result: Any
    error: str
    skip_reason: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    for_each: dict[str, Any] | None = None
    on_failure: str = Field("fail", description="'fail' or 'ask': see the plan's submission.")
    items: list[StepItemOut] = Field(
        [], description="A fan-out step's items, in item and stage order, once it has run."
    )
    approval: str = Field(description='"required" for a gated step, else "none".')
    gate: GateOut | None = Field(
        None, description="A gated step's decision, once a reviewer approved it."
    )
    decision_deadline: DeadlineOut | None = Field(
        None, description="A gate's deadline, if it has one and is not yet decided."
    )
    guardrails: dict[str, Any] | None = Field(None, description="As submitted.")
    quality: dict[str, Any] | None = Field(None, description="As submitted.")
    recover: dict[str, Any] | None = Field(None, description="As submitted.")
    runs: StepRunsOut | None = Field(
        None,
        description="What the step runs since a recovery recipe changed it (a fallback's "
        "executor, params patched by adjust); null: executor and params as submitted.",
    )

    @staticmethod
    def resolve_runs(obj: PlanStep) -> dict[str, Any] | None:
        return recovery_selectors.step_runs(obj)

    action: str = Field("", description="The catalog action the step names; empty: none.")
    inputs: dict[str, Any] | None = Field(None, description="The action's inputs, as submitted.")

    estimated_cost: float | None = Field(None, description="As submitted.")
    guardrail_findings: list[GuardrailFindingOut] = Field(
        [], description="What the step's guardrails found, attempt by attempt."
    )

    @staticmethod
    def resolve_guardrail_findings(obj: PlanStep) -> list[dict[str, Any]]:
        return guardrail_selectors.findings_for_step(obj)

    usage: UsageOut | None = Field(None, description="What its attempts consumed and cost.")

    @staticmethod
    def resolve_usage(obj: PlanStep) -> dict[str, Any] | None:
        # Set by PlanOut.resolve_steps for the whole plan at once.
        return getattr(obj, "usage_summary", None)

    @staticmethod
    def resolve_decision_deadline(obj: PlanStep) -> dict[str, Any] | None:
        return deadline_selectors.step_deadline(obj)

    approvals: QuorumOut | None = Field(
        None, description="A gated step's approvals at the plan's version against its quorum."
    )

    @staticmethod
    def resolve_approvals(obj: PlanStep) -> dict[str, Any] | None:
        # Set by PlanOut.resolve_steps for the whole plan at once.
        return getattr(obj, "approvals", None)

    @staticmethod
    def resolve_gate(obj: PlanStep) -> dict[str, Any] | None:
        if obj.gate_approved_at is None:
            return None
        return {
            "approved_by": obj.gate_approved_by,
            "approved_at": obj.gate_approved_at,
            "params_edited": obj.gate_params_edited,
        }

    @staticmethod
    def resolve_depends_on(obj: PlanStep) -> list[str]:
        # As attached for the whole plan, without a related manager built for each step.
        return [d.key for d in loaded_dependencies(obj)]

    @staticmethod
    def resolve_items(obj: PlanStep) -> list[PlanStep]:
        return list(obj.children.all()) if obj.for_each is not None else []


class ArtifactOut(Schema):
    id: int
    title: str
    summary: str
    assumptions: list[Any]
    parameters: dict[str, Any]
    proposed_plan: Any
    created_at: datetime


class ApprovalOut(Schema):
    source: str
    by: str | None
    version: int | None
    at: datetime | None
    content_hash: str = Field(
        "", description="The approved revision's content hash: what the workers run."
    )


class PlanSummaryOut(Schema):
    id: UUID
    title: str
    goal: str
    user_id: str
    topic_id: str
    tags: list[str]
    status: PlanStatus
    version: int
    created_at: datetime
    approved_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class CircuitOut(Schema):
    """An executor's circuit breaker. While `state` is open, its steps are not started: they wait
    (pending) until `open_until`; then the circuit is half open and the next outcome closes it or
    opens it again."""

    name: str
    state: CircuitState
    consecutive_failures: int
    open_until: datetime | None
    last_error: str

    @staticmethod
    def resolve_name(obj: Circuit) -> str:
        return obj.executor


class ChangeRequestOut(Schema):
    """The latest request for changes to the plan: what to change, by whom, when, on which
    version."""

    comment: str = Field(description="What should change (markdown).")
    step_comments: dict[str, str] = Field(description="What should change, by step key.")
    by: str = Field(description='Who asked: "user:alice" or "token:<prefix>".')
    at: datetime
    version: int = Field(description="The version the reviewer asked about.")


class PolicyMatchOut(Schema):
    """A rule or permission of the team's policy that held for the plan, and what it did."""

    rule: str = Field(description="The rule's name, or a permission's \"executor/role\".")
    kind: str = Field(description="rule or permission.")
    action: str = Field(
        description="forbid, require_gate, require_approvals, auto_approve, set_deadline; "
        "for a permission ask or deny."
    )
    shadow: bool = Field(description="Evaluated and recorded only: it did not act.")
    reason: str
    steps: list[str] = Field(description="Keys of the steps it matched.")
    why: list[str] = Field(description="Each condition part that held.")
    options: dict[str, Any] = Field(description="count and group, or seconds and on_timeout.")
    applied: bool = Field(description="Whether it acted.")
    overridden: str = Field(description="Why it did not act although it held.")
    effect: str = Field(description='What it did, or "would have ..." for a shadow rule.')


class PolicyDecisionOut(Schema):
    version: int | None = Field(description="The policy version evaluated; null: no policy.")
    matched: list[PolicyMatchOut]


class MissingInputOut(Schema):
    name: str
    value_schema: dict[str, Any] = Field(
        description="JSON Schema of its value, from the action's input schema."
    )
    steps: list[str] = Field(description="Keys of the steps that need it.")


class PlanOut(PlanSummaryOut):
    approval: ApprovalOut | None
    approvals: QuorumOut = Field(
        description="Approvals of the version under review (once approved: of the version "
        "approved) against the plan's quorum."
    )
    cancel_reason: str
    delegation: dict[str, Any] | None
    budget: float | None = Field(None, description="What the plan may spend in all, if limited.")
    usage: PlanUsageOut = Field(description="Spent against the budget, the estimate, the usage.")
    steps: list[StepOut]
    artifacts: list[ArtifactOut]
    executors: list[CircuitOut] = Field(
        description="The circuit breakers of the executors this plan's steps use."
    )
    awaiting_approval: list[str] = Field(
        description="Keys of the steps waiting at their gate for a reviewer's decision."
    )
    decision_deadline: DeadlineOut | None = Field(
        None, description="The plan's deadline while its decision is pending; null otherwise."
    )
    policy: PolicyDecisionOut | None = Field(
        None,
        description="What the team's policy decided about the plan's latest evaluated version; "
        "null when none was.",
    )
    inputs: dict[str, Any] = Field({}, description="The plan inputs supplied so far.")
    missing_inputs: list[MissingInputOut] = Field(
        [],
        description="Plan inputs its steps bind that are not supplied: the plan cannot be "
        "approved until they are (POST /api/v1/plans/{id}/inputs).",
    )

    @staticmethod
    def resolve_missing_inputs(obj: Plan) -> list[dict[str, Any]]:
        return [m.as_json() for m in catalog_selectors.plan_missing_inputs(obj)]

    @staticmethod
    def resolve_policy(obj: Plan) -> dict[str, Any] | None:
        return policy_selectors.plan_policy(obj)

    @staticmethod
    def resolve_decision_deadline(obj: Plan) -> dict[str, Any] | None:
        return deadline_selectors.plan_deadline(obj)

    @staticmethod
    def resolve_awaiting_approval(obj: Plan) -> list[str]:
        return [s.key for s in obj.steps.all() if s.status == StepStatus.AWAITING_APPROVAL]

    changes_requested: ChangeRequestOut | None = Field(
        None, description="The latest request for changes, if a reviewer made one."
    )

    @staticmethod
    def resolve_approval(obj: Plan) -> dict[str, Any] | None:
        if not obj.approved_via:
            return None
        by = None
        if obj.approved_by is not None:
            by = f"user:{obj.approved_by.get_username()}"
        elif obj.approved_by_token is not None:
            by = f"token:{obj.approved_by_token.prefix}"
        return {
            "source": obj.approved_via,
            "by": by,
            "version": obj.approved_version,
            "at": obj.approved_at,
            "content_hash": obj.approved_content_hash,
        }

    @staticmethod
    def resolve_approvals(obj: Plan) -> dict[str, Any]:
        return approval_selectors.plan_quorum(obj).as_dict()

    @staticmethod
    def resolve_steps(obj: Plan) -> list[PlanStep]:
        steps = list(obj.steps.all())
        # Each step's `approvals`, read once for the plan rather than once per step.
        quorums = approval_selectors.gate_quorums(obj, steps)
        usage = budget_selectors.usage_by_step(obj)[1]
        for step in steps:
            step.usage_summary = usage[step.pk].as_dict() if step.pk in usage else None  # type: ignore[attr-defined]
            quorum = quorums.get(step.key)
            approvals = quorum.as_dict() if quorum is not None else None
            step.approvals = approvals  # type: ignore[attr-defined]
        guardrail_selectors.attach(obj, steps)
        return steps

    @staticmethod
    def resolve_usage(obj: Plan) -> dict[str, Any]:
        return plan_usage(obj)

    @staticmethod
    def resolve_artifacts(obj: Plan) -> list[Any]:
        return list(obj.artifacts.all())

    @staticmethod
    def resolve_executors(obj: Plan) -> list[Circuit]:
        return selectors.circuits_for(obj.team_id, selectors.executors_used(obj))

    @staticmethod
    def resolve_changes_requested(obj: Plan) -> ChangeRequest | None:
        return latest_change_request(obj)


class PlanPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[PlanSummaryOut]


class EventOut(Schema):
    id: int
    kind: str
    step_key: str
    actor: str
    data: dict[str, Any]
    created_at: datetime


class ErrorOut(Schema):
    """A refusal: 401 (no or bad token), 403 (not allowed), 404 (not yours or not there)."""

    detail: str


class ConflictOut(Schema):
    """409: the plan's state does not allow the request; its current status and version."""

    detail: str
    status: PlanStatus | None = Field(description="The plan's status now.")
    current_version: int | None = Field(
        description="The plan's version now: approve that one after looking at it again."
    )


class TooLargeOut(Schema):
    """413: the request body is larger than the server takes."""

    detail: str
    max_bytes: int = Field(
        description="The largest body the server takes (PLANGATE_MAX_BODY_BYTES)."
    )


class ProblemOut(Schema):
    loc: list[str | int] = Field(
        description='Where the problem is: ["body", "steps", 0, "key"], ["query", "limit"], '
        '["header", "Idempotency-Key"].'
    )
    msg: str
    type: str


class ProblemsOut(Schema):
    """422: every problem with the request at once, each with its path."""

    detail: list[ProblemOut]


class GateApproveIn(RequestBody):
    """Approve a step awaiting approval. Strings must not contain NUL characters (\\u0000)."""

    version: int = Field(description="The plan version the reviewer saw.")
    params: dict[str, Any] | None = Field(
        None,
        description="The step's params as the reviewer edited them (checked as at submission); "
        "omit to approve them as they are.",
    )


class RetryIn(RequestBody):
    """A reviewer's retry of a failed step of a plan that needs attention. Strings must not
    contain NUL characters (\\u0000)."""

    version: int = Field(description="The plan version the reviewer saw.")
    params: dict[str, Any] | None = Field(
        None, description="New params for the step, checked as at submission; its own if omitted."
    )


class FailIn(RequestBody):
    """A reviewer's decision to fail a plan that needs attention. Strings must not contain NUL
    characters (\\u0000)."""

    version: int = Field(description="The plan version the reviewer saw.")
    reason: NonEmpty
