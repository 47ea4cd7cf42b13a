"""Every change to a plan: lock, check the state rules, save, record the event, publish.

Each service is one transaction. It locks the plan row first (`select_for_update`, a no-op on
SQLite, where the IMMEDIATE write lock serialises writers instead), so of two racing requests
(approve vs cancel, two approvals, skip vs start) exactly one wins and the other sees the new
status and gets a DomainError. Taking the plan lock before any step lock, everywhere, keeps lock
order fixed so services cannot deadlock each other, and keeps a plan's events in id order.

Right after the lock, each service that changes a plan for a person or a token asks
plans/access/checks.py whether they may (role, scope, separation of duties) and raises
AccessDenied (a DomainError, answered 403) when not.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from executors import registry
from executors.protocol import FailureClass
from plans import bulk, realtime, tokens
from plans.access.checks import check as access_check
from plans.access.rules import Action
from plans.approvals import services as approvals
from plans.budgets import holds as budget_holds
from plans.budgets import rules as budget_rules
from plans.catalog import compile as catalog_compile
from plans.catalog import selectors as catalog
from plans.deadlines import schedule as deadlines
from plans.delegation import compile_tree
from plans.dependencies import attach_dependencies, keep_dependencies
from plans.gates.hold import gates_hold
from plans.guardrails import spec as guardrail_spec
from plans.models import (
    ApiToken,
    CircuitState,
    DecisionSource,
    EventKind,
    ExecutorCircuit,
    IdempotencyRecord,
    Membership,
    Plan,
    PlanEvent,
    PlanningArtifact,
    PlanStep,
    StepApproval,
    Team,
    default_scopes,
)
from plans.notifications.services import notifications_enqueue
from plans.policy import evaluation as policy
from plans.recovery import recipes as recovery_recipes
from plans.rescue.rules import AWAITING_RESCUE, FAILS_PLAN, OnFailure
from plans.revisions.content import plan_content_hash, revision_record
from plans.selectors import circuit_state
from plans.states import (
    DomainError,
    PlanStatus,
    StaleVersion,
    StepStatus,
    check_step_skippable,
    plan_transition,
    step_transition,
)
from plans.validation import (
    ON_FAILURE_VALUES,
    PlanInvalid,
    Problem,
    StepDraft,
    check_steps,
    topological_order,
)

logger = logging.getLogger(__name__)

# The steps' JSON columns as `create_steps` writes them.
JSON_COLUMNS = ("params", "context", "for_each", "guardrails", "quality", "recover", "inputs")
# Set on the steps as written, so reading them back is not needed.
STEP_PLAN = PlanStep.plan.field
STEP_GROUP = PlanStep.approval_group.field

CANCELLED_REASON = "cancelled"
PLAN_CANCELLED_SKIP_REASON = "plan cancelled"
PLAN_FAILED_SKIP_REASON = "plan failed"
# Workers LISTEN on this channel; a notification means "there may be work, or a cancel, now".
NOTIFY_CHANNEL = "plangate"
# The payload of a notification that means only "a plan was approved": a worker starts it (and
# claims its first steps with it), and need not look for cancels or other plans' steps.
APPROVED_PAYLOAD = "approved"
# The payload of a notification that means only "steps are ready that the sender did not take"
# (its slots were full): a worker claims them if it has free slots, and need not start plans or
# look for cancels. The sender's own worker ignores it; the round that sent it claims again.
READY_PAYLOAD = "ready"
# At most this many plans' pages are nudged when a circuit changes; the others catch up on their
# next event.
NUDGE_PLANS = 500
# An approval of the version approved that lost the race for the last place is still recorded
# while the plan goes on (not once it was cancelled or failed).
APPROVED_AND_GOING = frozenset(
    {PlanStatus.APPROVED, PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION, PlanStatus.COMPLETED}
)


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: a reviewer, an API token, a worker or the system, and through what
    (`source`: a DecisionSource value for people and tokens, "" for workers and the system)."""

    label: str
    user: Any = None  # the acting django.contrib.auth user, if a person
    token: ApiToken | None = None
    source: str = ""
    # Acting through the Django admin, where superusers are not held to a team role.
    django_admin: bool = False

    @classmethod
    def for_user(cls, user: Any, source: str = DecisionSource.BROWSER) -> Actor:
        return cls(label=f"user:{user.get_username()}", user=user, source=source)

    @classmethod
    def for_admin_site(cls, user: Any) -> Actor:
        return cls(
            label=f"user:{user.get_username()}",
            user=user,
            source=DecisionSource.BROWSER,
            django_admin=True,
        )

    @classmethod
    def for_token(cls, token: ApiToken) -> Actor:
        return cls(label=f"token:{token.prefix}", token=token, source=DecisionSource.TOKEN)

    @classmethod
    def for_policy(cls, rule: str) -> Actor:
        """A policy rule that decides by itself (plans/policy/), named in the event's actor."""
        return cls(label=f"policy:{rule}", source=DecisionSource.POLICY)

    @classmethod
    def worker(cls, name: str) -> Actor:
        return cls(label=f"worker:{name}")

    @property
    def approval_source(self) -> str:
        return self.source or DecisionSource.POLICY


SYSTEM = Actor(label="system")


@dataclass
class ArtifactDraft:
    title: str
    summary: str = ""
    assumptions: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    proposed_plan: Any = None


@dataclass
class PlanSubmission:
    """A plan as an integration submits it: steps as a list, or a delegation tree."""

    user_id: str
    topic_id: str
    goal: str = ""
    title: str = ""
    tags: list[str] = field(default_factory=list)
    artifacts: list[ArtifactDraft] = field(default_factory=list)
    steps: list[StepDraft] | None = None
    delegation: Any = None
    max_concurrency: int | None = None
    # The default of steps that do not say what happens when they fail ("fail" or "ask").
    on_failure: str | None = None
    # Seconds or an ISO time, and what happens then (plans/deadlines/); None: the team's.
    decision_deadline: Any = None
    on_timeout: str | None = None
    # Quorum (plans/approvals/): None takes the team's count, and its reviewers as approvers.
    required_approvals: int | None = None
    approver_group: str | None = None
    # What the plan may spend in all (plans/budgets/); None: no limit of its own.
    budget: Any = None
    # Values of the steps' `{"$input": name}` bindings (plans/bindings/).
    inputs: dict[str, Any] = field(default_factory=dict)


# --- Submission ---------------------------------------------------------------------------------


def check_executor(name: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems with a step's executor name and params, as (field, message) pairs."""
    if not registry.is_registered(name):
        return [
            ("executor", f"unknown executor {name!r}; registered: {', '.join(registry.names())}")
        ]
    return [("params", msg) for msg in registry.get(name).validate_params(params)]


def prepare_steps(
    submission: PlanSubmission, *, team: Team | None = None
) -> tuple[str, list[StepDraft]]:
    """The plan's goal and its steps in dependency order. With `team`, also what its settings
    allow (approving when a deadline passes).

    Raises PlanInvalid listing every problem.
    """
    problems: list[Problem] = []
    goal = submission.goal.strip()
    drafts: list[StepDraft] = []
    if (submission.steps is None) == (submission.delegation is None):
        problems.append(
            Problem(("steps",), "give either 'steps' or 'delegation', not both or neither")
        )
    elif submission.delegation is not None:
        try:
            tree = compile_tree(
                submission.delegation,
                default_executor=settings.PLANGATE_DEFAULT_EXECUTOR,
                max_depth=settings.PLANGATE_MAX_TREE_DEPTH,
            )
        except PlanInvalid as exc:
            problems.extend(exc.problems)
        else:
            goal = goal or tree.goal
            drafts = tree.steps
    else:
        drafts = list(submission.steps or [])
    # Steps naming an action get their executor, params and defaults from it (plans/catalog/).
    drafts, found = catalog_compile.compile_steps(
        drafts,
        actions=catalog.actions_for(team) if any(d.action for d in drafts) else {},
        inputs=submission.inputs,
        default_executor=settings.PLANGATE_DEFAULT_EXECUTOR,
    )
    problems.extend(found)
    # A delegation tree carries its own goal (the compiler requires it), so only a list of
    # steps needs one at the top.
    if not goal and submission.delegation is None:
        problems.insert(0, Problem(("goal",), "goal must not be empty"))
    if submission.steps is not None and submission.delegation is None:
        problems.extend(
            check_steps(
                drafts,
                check_executor=check_executor,
                max_steps=settings.PLANGATE_MAX_STEPS,
                max_fan_out=settings.PLANGATE_MAX_FAN_OUT,
            )
        )
    for draft in drafts:
        problems.extend(guardrail_spec.problems(draft))
        problems.extend(recovery_recipes.problems(draft, check_executor=check_executor))
    problems.extend(budget_rules.problems(budget=submission.budget, steps=drafts))
    if submission.on_failure is not None and submission.on_failure not in ON_FAILURE_VALUES:
        problems.append(Problem(("on_failure",), "must be 'fail' or 'ask'"))
    problems.extend(
        deadlines.problems(
            decision_deadline=submission.decision_deadline,
            on_timeout=submission.on_timeout,
            steps=drafts,
            now=timezone.now(),
            team=team,
        )
    )
    if problems:
        raise PlanInvalid(problems)
    return goal, topological_order(drafts)


@dataclass(frozen=True)
class Submitted:
    """A plan just submitted, with its steps as written (in position order, each with its
    dependencies); `steps` is None when a policy rule approved the plan on the spot, which may
    have changed them since."""

    plan: Plan
    steps: list[PlanStep] | None


def plan_submit(*, team: Team, actor: Actor, submission: PlanSubmission) -> Plan:
    """Create a draft plan with its steps and artifacts. Raises PlanInvalid; writes nothing then."""
    return plan_submit_written(team=team, actor=actor, submission=submission).plan


@transaction.atomic
def plan_submit_written(*, team: Team, actor: Actor, submission: PlanSubmission) -> Submitted:
    """`plan_submit`, answering also the steps as written, for an answer that need not read
    them back. Raises PlanInvalid; writes nothing then."""
    quorum = approvals.quorum_problems(
        team=team,
        required_approvals=submission.required_approvals,
        approver_group=submission.approver_group,
        steps=submission.steps or [],
    )
    try:
        goal, drafts = prepare_steps(submission, team=team)
    except PlanInvalid as exc:
        raise PlanInvalid([*exc.problems, *quorum]) from None
    if quorum:
        raise PlanInvalid(quorum)
    # The team's policy (plans/policy/): refuses (PlanInvalid), gates steps, sets the quorum and
    # the deadline; what it decided is kept with the revision.
    verdict = policy.plan_evaluate(
        team=team,
        actor=actor,
        user_id=submission.user_id,
        topic_id=submission.topic_id,
        tags=submission.tags,
        steps=drafts,
    )
    drafts = policy.gated(verdict, drafts)
    submission = policy.with_decision(verdict, submission, team_approvals=team.required_approvals)
    now = timezone.now()
    deadline_at, on_timeout = deadlines.plan_deadline(
        team=team,
        decision_deadline=submission.decision_deadline,
        on_timeout=submission.on_timeout,
        now=now,
    )
    plan = Plan.objects.create(
        team=team,
        user_id=submission.user_id,
        topic_id=submission.topic_id,
        goal=goal,
        title=submission.title.strip(),
        tags=submission.tags,
        delegation=submission.delegation,
        max_concurrency=submission.max_concurrency or settings.PLANGATE_PLAN_MAX_CONCURRENCY,
        submitted_by=actor.user,
        submitted_by_token=actor.token,
        required_approvals=submission.required_approvals or team.required_approvals,
        approver_group=approvals.group_named(team, submission.approver_group),
        decision_deadline=deadline_at,
        deadline_at=deadline_at,
        on_timeout=on_timeout,
        budget=None if submission.budget is None else budget_rules.amount(submission.budget),
        inputs=submission.inputs,
    )
    steps = create_steps(plan, drafts, on_failure=submission.on_failure)
    if deadline_at is not None:
        # The wait for a decision starts now: its timers commit with the plan, or not at all.
        deadlines.timers_write(plan=plan, step_key="", deadline_at=deadline_at, now=now)
    PlanningArtifact.objects.bulk_create(_artifact(plan, a) for a in submission.artifacts)
    revision_record(
        plan=plan,
        actor=actor.label,
        actor_user=actor.user,
        comment="submitted",
        policy=verdict.as_json(),
        steps=steps,
    )
    _record(
        plan, EventKind.PLAN_CREATED, actor, data={"version": plan.version, "steps": len(steps)}
    )
    # A plan still missing inputs waits for them, whatever a rule says (plans/catalog/).
    if (rule := verdict.auto_approve) is not None and not catalog.plan_missing_required(plan):
        plan_approve(plan=plan, actor=Actor.for_policy(rule.name), version=plan.version)
        return Submitted(plan=plan, steps=None)
    return Submitted(plan=plan, steps=steps)


def create_steps(
    plan: Plan, drafts: list[StepDraft], *, on_failure: str | None = None
) -> list[PlanStep]:
    """Save the steps (in dependency order) and their dependencies for a new or revised plan.
    `on_failure` is the plan's default for steps that set none. Raises PlanInvalid for a gate's
    approver group the team does not have.

    Returns the steps as written, each with its dependencies (`plans.dependencies`), without
    reading them back: one statement per table, whatever the number of steps."""
    gate_fields = approvals.step_gate_fields(plan.team, drafts)
    now = timezone.now()
    fail = OnFailure.FAIL.value
    rows: list[dict[str, Any]] = []
    groups: list[Any] = []
    for i, d in enumerate(drafts):
        seconds, until, on_timeout = deadlines.step_deadline(team=plan.team, draft=d, now=now)
        gate = gate_fields[d.key]
        group = gate.get("approval_group")
        groups.append(group)
        rows.append(
            {
                "plan_id": plan.pk,
                "key": d.key,
                "position": i,
                "title": d.title,
                "task": d.task,
                "hint": d.hint,
                "executor": d.executor,
                "params": d.params,
                "context": d.context,
                "waiting_on": len(set(d.depends_on)),
                "max_attempts": d.max_attempts,
                "timeout_seconds": d.timeout_seconds,
                "for_each": d.for_each,
                "on_failure": d.on_failure or on_failure or fail,
                "deadline_seconds": seconds,
                # As it reads back: in UTC.
                "deadline_until": None if until is None else until.astimezone(UTC),
                "on_timeout": on_timeout,
                "guardrails": d.guardrails,
                "quality": d.quality,
                "recover": d.recover,
                "estimated_cost": (
                    None if d.estimated_cost is None else budget_rules.amount(d.estimated_cost)
                ),
                "action": d.action,
                "inputs": d.inputs if d.action else None,
                "approval": gate["approval"],
                "approval_group_id": None if group is None else group.pk,
                "approval_count": gate.get("approval_count", 1),
            }
        )
    bulk.rows_insert(PlanStep, rows)
    given = [value for row in rows for name in JSON_COLUMNS if (value := row[name])]
    if any(bulk.reads_back_otherwise(value) for value in given):
        # A number the database gives back otherwise (1e+20 as 100000000000000000000): the
        # revision's hash, which approval checks against the steps as read, and the answer
        # must hold the values as stored, so these steps are read back.
        return _steps_read_back(plan, drafts)
    # The only read: the ids the database gave, by the key unique in the plan.
    ids = dict(PlanStep.objects.filter(plan=plan).values_list("key", "pk"))
    defaults = bulk.Defaults(PlanStep)
    steps: list[PlanStep] = []
    by_key: dict[str, PlanStep] = {}
    for row, group in zip(rows, groups, strict=True):
        step = bulk.loaded(defaults, {**row, "id": ids[row["key"]]})
        STEP_PLAN.set_cached_value(step, plan)
        STEP_GROUP.set_cached_value(step, group)
        steps.append(step)
        by_key[step.key] = step
    pairs: list[dict[str, int]] = []
    for d, step in zip(drafts, steps, strict=True):
        deps = [by_key[dep] for dep in dict.fromkeys(d.depends_on)]
        pairs.extend({"from_planstep_id": step.pk, "to_planstep_id": dep.pk} for dep in deps)
        # In position order, as a step's dependencies read back.
        keep_dependencies(step, sorted(deps, key=lambda s: s.position))
    bulk.rows_insert(PlanStep.depends_on.through, pairs)
    return steps


def _steps_read_back(plan: Plan, drafts: list[StepDraft]) -> list[PlanStep]:
    """`create_steps`'s end for steps whose values read back otherwise than written."""
    ids = dict(PlanStep.objects.filter(plan=plan).values_list("key", "pk"))
    Through = PlanStep.depends_on.through
    bulk.rows_insert(
        Through,
        [
            {"from_planstep_id": ids[d.key], "to_planstep_id": ids[dep]}
            for d in drafts
            for dep in dict.fromkeys(d.depends_on)
        ],
    )
    steps = list(plan.steps.filter(parent=None).order_by("position"))
    attach_dependencies(steps)
    return steps


def _artifact(plan: Plan, draft: ArtifactDraft) -> PlanningArtifact:
    return PlanningArtifact(
        plan=plan,
        title=draft.title,
        summary=draft.summary,
        assumptions=draft.assumptions,
        parameters=draft.parameters,
        proposed_plan=draft.proposed_plan,
    )


@transaction.atomic
def artifact_add(*, plan: Plan, actor: Actor, draft: ArtifactDraft) -> PlanningArtifact:
    """Attach a planning artifact. On a draft this is a change the reviewer must see: the version
    goes up, so an approval of the earlier version is refused. Raises DomainError once the plan
    has ended."""
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.ADD_ARTIFACT)
    if plan.is_terminal:
        raise DomainError(f"cannot add an artifact to a plan that is {plan.status}")
    artifact = _artifact(plan, draft)
    artifact.save()
    _bump_version_if_draft(plan, actor=actor, comment=f"artifact added: {artifact.title}")
    _record(
        plan,
        EventKind.ARTIFACT_ADDED,
        actor,
        data={"artifact_id": artifact.pk, "title": artifact.title, "version": plan.version},
    )
    return artifact


# --- Review -------------------------------------------------------------------------------------


@transaction.atomic
def plan_approve(*, plan: Plan, actor: Actor, version: int) -> Plan:
    """Approve the plan as of `version`, the one the reviewer saw.

    A person's or token's approval is counted (plans/approvals/): the plan is approved by the
    one that reaches `plan.required_approvals`, in the same transaction. The same approver counts
    once; an approval of the version that was just approved by someone else is recorded too.
    A deadline or rule (an actor that is neither) approves outright.

    Raises StaleVersion if the plan changed since (the reviewer must look again),
    InvalidTransition unless the plan is a draft, and NotAnApprover for someone whose approval
    does not count for this plan.
    """
    # The row lock serialises approvals: of two racing for the last place, the second sees the
    # plan approved and is only recorded, so there is one plan.approved and one start.
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.APPROVE)
    if (
        approvals.is_person_or_token(actor)
        and plan.status in APPROVED_AND_GOING
        and plan.approved_version == version
        and approvals.decided_by_quorum(plan=plan, step_key="", version=version)
        and not approvals.has_approved(plan=plan, step_key="", version=version, actor=actor)
    ):
        # Lost the race for the last place: still an approval of what was shown. (Someone
        # approving again after the decision is refused below, naming the plan's status.)
        _approval_count(plan, actor, version)
        return plan
    plan_transition(plan.status, PlanStatus.APPROVED)
    if version != plan.version:
        raise StaleVersion(
            f"the plan changed since version {version}; "
            f"review version {plan.version} and approve again",
            current_version=plan.version,
        )
    # Plan inputs its steps need must be supplied first (a 409 naming them).
    catalog.refuse_if_missing(plan)
    # Every change of content goes through a revision, so the steps cannot differ from the
    # revision of this version; if they somehow did, what ran would not be what was approved.
    approved_hash = plan_content_hash(plan)
    if not plan.revisions.filter(version=version, content_hash=approved_hash).exists():
        raise DomainError(
            f"the plan's content does not match its revision {version}; it cannot be approved"
        )
    if not _approval_count(plan, actor, version).reached:
        return plan
    plan.status = PlanStatus.APPROVED
    plan.approved_content_hash = approved_hash
    plan.approved_via = actor.approval_source
    plan.approved_by = actor.user
    plan.approved_by_token = actor.token
    plan.approved_version = version
    plan.approved_at = timezone.now()
    plan.save(
        update_fields=[
            "status",
            "approved_via",
            "approved_by",
            "approved_by_token",
            "approved_version",
            "approved_content_hash",
            "approved_at",
            "updated_at",
        ]
    )
    _record(
        plan,
        EventKind.PLAN_APPROVED,
        actor,
        data={"version": version, "via": plan.approved_via, "content_hash": approved_hash}
        # A policy's approval names its rule.
        | (
            {"rule": actor.label.removeprefix("policy:")}
            if actor.label.startswith("policy:")
            else {}
        ),
    )
    # A worker starts the plan as soon as this commits, rather than at its next poll.
    notify_workers(APPROVED_PAYLOAD)
    return plan


def _approval_count(plan: Plan, actor: Actor, version: int) -> approvals.Tally:
    """Count the actor's approval of the plan (called with it locked), recording an
    `approval.recorded` event for a new one."""
    tally = approvals.approval_add(
        plan=plan,
        step_key="",
        version=version,
        actor=actor,
        required=plan.required_approvals,
        group=plan.approver_group,
    )
    # The approval that reaches the quorum is told by plan.approved; the others each by theirs.
    if tally.added and (not tally.reached or plan.approved_at is not None):
        _record(
            plan,
            EventKind.APPROVAL_RECORDED,
            actor,
            data={"version": version, "count": tally.count, "required": tally.required},
        )
    return tally


@transaction.atomic
def plan_cancel(*, plan: Plan, actor: Actor, reason: str) -> Plan:
    """Cancel a plan that has not ended. Pending steps are skipped ("plan cancelled"); running
    steps end failed ("cancelled") at once, and the worker running them is told to stop and has
    its late result refused. Raises InvalidTransition for an ended plan."""
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.CANCEL)
    plan_transition(plan.status, PlanStatus.CANCELLED)
    now = timezone.now()
    skipped = _skip_pending(plan, reason=PLAN_CANCELLED_SKIP_REASON, now=now)
    running = list(plan.steps.filter(status=StepStatus.IN_PROGRESS).values_list("key", flat=True))
    plan.steps.filter(status=StepStatus.IN_PROGRESS).update(
        status=step_transition(StepStatus.IN_PROGRESS, StepStatus.FAILED),
        error=CANCELLED_REASON,
        failure_class=FailureClass.CANCELLED,
        finished_at=now,
        lease_owner="",
        lease_expires_at=None,
    )
    plan.status = PlanStatus.CANCELLED
    plan.cancel_reason = reason.strip()
    plan.finished_at = now
    plan.save(update_fields=["status", "cancel_reason", "finished_at", "updated_at"])
    _record(
        plan,
        EventKind.PLAN_CANCELLED,
        actor,
        data={"reason": plan.cancel_reason, "skipped": skipped, "stopped": running},
    )
    if running:
        # Workers running these steps stop them as soon as they hear of it.
        notify_workers()
    return plan


@transaction.atomic
def step_skip(*, plan: Plan, key: str, actor: Actor, reason: str) -> PlanStep:
    """Skip a pending step; its dependents will run without its result, but still only once
    everything the skipped step waited for is done.

    Allowed while the plan is draft, approved or executing. On a draft, the version goes up.
    Raises PlanStep.DoesNotExist for an unknown key and InvalidTransition when the step or plan
    no longer allows it (for example the worker started the step first).
    """
    plan = _lock(plan)
    access_check(plan=plan, actor=actor, action=Action.SKIP)
    if "\x00" in key:
        # No key holds one (submission refuses them), and PostgreSQL cannot even compare it.
        raise PlanStep.DoesNotExist(f"no step {key!r}")
    step = plan.steps.get(key=key)
    if step.parent_id is not None:
        # Its fan-out step moves each item's stages on as they end; a hole made by hand would
        # leave the item's later stages without input and the fan-out step never ending.
        raise DomainError(f"step {key!r} is an item of a fan-out step; items are not skipped")
    check_step_skippable(plan_status=plan.status, step_status=step.status, key=key)
    if step.status == StepStatus.PENDING and step.gate_approved_at is not None:
        # A gate has one decision: a skip racing an approval loses once the approval is in.
        raise DomainError(
            f"cannot skip step {key!r}: {step.gate_approved_by} approved it at its gate; "
            "it is pending, to run"
        )
    if step.status == StepStatus.FAILED and not plan.steps.filter(AWAITING_RESCUE, pk=step.pk):
        raise DomainError(f"step {key!r} did not ask for a rescue; only such a step is skipped")
    if not reason.strip():
        raise DomainError("give a reason for skipping the step")
    step.status = StepStatus.SKIPPED
    step.skip_reason = reason.strip()
    step.finished_at = timezone.now()
    step.save(update_fields=["status", "skip_reason", "finished_at"])
    if step.waiting_on == 0:
        # Everything it waited for is done: its dependents no longer wait for it. Otherwise it
        # keeps them waiting, and release_dependents lets them go once its last dependency is
        # done (read under the plan lock, which every finish takes too, so that cannot happen
        # between this read and the save above).
        release_dependents([step.pk])
    _bump_version_if_draft(plan, actor=actor, comment=f"step {key} skipped: {step.skip_reason}")
    _record(
        plan,
        EventKind.STEP_SKIPPED,
        actor,
        step_key=key,
        data={"reason": step.skip_reason, "version": plan.version},
    )
    if plan.status == PlanStatus.NEEDS_ATTENTION:
        # Skipping the failed step is a rescue: the plan goes on once nothing else awaits one.
        resume_if_rescued(plan, actor)
    if plan.status == PlanStatus.EXECUTING:
        notify_workers()
        end_plan_if_done(plan, actor)
    return step


# --- Execution (called by the worker) -----------------------------------------------------------


# No savepoint: the worker calls this inside the transaction that also claims the plan's first
# steps, and an error here rolls all of it back anyway (a savepoint is two round trips more).
@transaction.atomic(savepoint=False)
def plan_start(*, plan: Plan, actor: Actor, settle: bool = True, locked: bool = False) -> bool:
    """Move an approved plan to executing. Returns False if another worker got there first or the
    plan was cancelled meanwhile.

    With `settle` False the caller claims the plan's first steps in the same transaction and
    then does what is left: ends the plan if it has nothing to run (every step was skipped
    before approval), and wakes the other workers if it left ready steps unclaimed. `locked`:
    the caller read `plan` under its row lock, in this transaction."""
    if not locked:
        plan = _lock(plan)
    if plan.status != PlanStatus.APPROVED:
        return False
    plan.status = plan_transition(plan.status, PlanStatus.EXECUTING)
    plan.started_at = timezone.now()
    plan.save(update_fields=["status", "started_at", "updated_at"])
    _record(plan, EventKind.PLAN_STARTED, actor)
    if hold_at_start(plan, actor):
        return True
    if settle:
        notify_workers()
        # A plan whose every step was skipped before approval has nothing left to run.
        end_plan_if_done(plan, actor)
    return True


def hold_at_start(plan: Plan, actor: Actor, *, gated: bool = True, budgeted: bool = True) -> bool:
    """What a plan's start (in its transaction, the plan locked and executing) holds: each gated
    step with nothing to wait for waits for a reviewer instead (plans/gates/hold.py), and the
    whole plan needs attention if its team's monthly budget is spent. A caller that knows the
    plan has no such step (`gated` False) or its team no monthly budget (`budgeted` False) saves
    the look. True if the plan is held."""
    if gated:
        gates_hold(plan.steps.all())
    if budgeted and (reason := budget_holds.team_reason(plan)):
        budget_holds.hold(plan, actor, reason, record=_record)
        return True
    return False


def end_plan_if_done(plan: Plan, actor: Actor) -> None:
    """End an executing plan once nothing more will run. Called with the plan locked.

    Completed when every step has ended well. Once a step (not a fan-out item, whose failure is
    its own) has failed, the plan is failing: pending steps that depend on a failed one fail
    ("dependency_failed"), the other pending steps are skipped, and the plan fails as soon as
    the steps still running have ended. A step that asks when it fails (on_failure "ask") does
    not fail the plan: the plan needs attention and holds, its running steps finishing, until a
    reviewer retries or skips the step or fails the plan (plans/rescue/services.py). A step
    that fails the plan while it needs attention fails it as above.
    """
    if plan.status not in (PlanStatus.EXECUTING, PlanStatus.NEEDS_ATTENTION):
        return
    steps = plan.steps.all()
    counts = dict.fromkeys(StepStatus.values, 0)
    for status, n in steps.values_list("status").annotate(n=Count("pk")).values_list("status", "n"):
        counts[status] += n
    failed_here = bool(counts[StepStatus.FAILED]) and steps.filter(FAILS_PLAN).exists()
    now = timezone.now()
    if not failed_here and counts[StepStatus.FAILED]:
        asking = list(steps.filter(AWAITING_RESCUE).order_by("position", "pk"))
        if asking:
            if plan.status == PlanStatus.EXECUTING:
                _hold_for_rescue(plan, actor, asking)
            return
    if plan.status == PlanStatus.NEEDS_ATTENTION and not failed_here:
        return
    if failed_here:
        stopped = _stop_after_failure(plan, actor, now)
        if counts[StepStatus.IN_PROGRESS] - stopped:
            return
        failed = list(
            steps.filter(status=StepStatus.FAILED, parent=None).values_list("key", flat=True)
        )
        skipped = list(
            steps.filter(
                status=StepStatus.SKIPPED, skip_reason=PLAN_FAILED_SKIP_REASON
            ).values_list("key", flat=True)
        )
        plan.status = plan_transition(plan.status, PlanStatus.FAILED)
        kind, data = EventKind.PLAN_FAILED, {"failed": failed, "skipped": skipped}
    elif (
        counts[StepStatus.PENDING]
        or counts[StepStatus.IN_PROGRESS]
        or counts[StepStatus.AWAITING_APPROVAL]
    ):
        return
    else:
        plan.status = plan_transition(plan.status, PlanStatus.COMPLETED)
        kind, data = EventKind.PLAN_COMPLETED, {}
    plan.finished_at = now
    plan.save(update_fields=["status", "finished_at", "updated_at"])
    _record(plan, kind, actor, data=data)
    logger.info("plan %s %s", plan.pk, plan.status)


def _hold_for_rescue(plan: Plan, actor: Actor, asking: list[PlanStep]) -> None:
    """Executing -> needs attention: a step that asks failed for good. Nothing more is claimed
    (claims take steps of executing plans only) so the reviewer decides on a picture that holds
    still; the steps in flight finish and are recorded as usual. The version goes up: a rescue
    names the version whose failure the reviewer saw."""
    plan.status = plan_transition(plan.status, PlanStatus.NEEDS_ATTENTION)
    plan.version += 1
    plan.save(update_fields=["status", "version", "updated_at"])
    first = asking[0]
    _record(
        plan,
        EventKind.PLAN_NEEDS_ATTENTION,
        actor,
        step_key=first.key,
        data={
            "step": first.key,
            "error": first.error,
            "failure_class": first.failure_class,
            "steps": [s.key for s in asking],
            "version": plan.version,
        },
    )
    logger.info("plan %s needs attention: step %s failed", plan.pk, first.key)


def resume_if_rescued(plan: Plan, actor: Actor) -> bool:
    """Needs attention -> executing once no failed step awaits a reviewer any more (it was
    retried or skipped); workers are woken. Called with the plan locked. Returns whether the
    plan resumed."""
    if plan.status != PlanStatus.NEEDS_ATTENTION or plan.steps.filter(AWAITING_RESCUE).exists():
        return False
    if budget_holds.keeps_held(plan):  # its budget or its team's still stops it
        return False
    plan.status = plan_transition(plan.status, PlanStatus.EXECUTING)
    plan.save(update_fields=["status", "updated_at"])
    _record(plan, EventKind.PLAN_RESUMED, actor, data={"version": plan.version})
    # Steps held while the plan needed attention may be claimed as soon as this commits.
    notify_workers()
    return True


def _stop_after_failure(plan: Plan, actor: Actor, now: Any) -> int:
    """In a failing plan, end what will not run: pending steps downstream of a failed step fail
    as dependency_failed, other pending steps are skipped, and fan-out steps waiting on their
    items stop. Returns how many in-progress (fan-out) steps were stopped."""
    steps = list(
        plan.steps.filter(
            Q(status__in=[StepStatus.PENDING, StepStatus.FAILED])
            | Q(status=StepStatus.SKIPPED, waiting_on__gt=0)
        )
    )
    failed = {s.pk for s in steps if s.status == StepStatus.FAILED and s.parent_id is None}
    pending = {s.pk: s for s in steps if s.status == StepStatus.PENDING}
    # A skipped step that was still waiting passes what it waited for on to its dependents: a
    # failure before it blocks them as if they depended on the failed step themselves.
    passing = {s.pk for s in steps if s.status == StepStatus.SKIPPED}
    if pending:
        Through = PlanStep.depends_on.through
        waits_for: dict[int, set[int]] = {}
        for from_id, to_id in Through.objects.filter(from_planstep__plan=plan).values_list(
            "from_planstep_id", "to_planstep_id"
        ):
            waits_for.setdefault(from_id, set()).add(to_id)
        # pending (or passing) step -> the failed step it waits for
        blocked: dict[int, int] = {}
        keys = {s.pk: s.key for s in steps}
        changed = True
        while changed:
            changed = False
            for pk in [*pending, *passing]:
                if pk in blocked:
                    continue
                for dep in waits_for.get(pk, ()):
                    if dep in failed or dep in blocked:
                        blocked[pk] = dep if dep in failed else blocked[dep]
                        changed = True
                        break
        doomed = [pending[pk] for pk in blocked if pk in pending]
        for step in doomed:
            step.status = step_transition(StepStatus.PENDING, StepStatus.FAILED)
            step.failure_class = FailureClass.DEPENDENCY_FAILED
            step.error = f"dependency {keys.get(blocked[step.pk], '?')!r} failed"
            step.finished_at = now
        PlanStep.objects.bulk_update(doomed, ["status", "failure_class", "error", "finished_at"])
        for step in doomed:
            _record(
                plan,
                EventKind.STEP_FAILED,
                actor,
                step_key=step.key,
                data={"error": step.error, "failure_class": step.failure_class},
            )
        _skip_pending(plan, reason=PLAN_FAILED_SKIP_REASON, now=now)
    # A fan-out step waiting on its items (in progress without a lease) has nothing left to wait
    # for once its pending items are skipped.
    waiting = plan.steps.filter(
        status=StepStatus.IN_PROGRESS, lease_owner="", for_each__isnull=False
    ).exclude(children__status=StepStatus.IN_PROGRESS)
    return waiting.update(
        status=StepStatus.FAILED,
        failure_class=FailureClass.DEPENDENCY_FAILED,
        error="stopped: the plan failed",
        finished_at=now,
    )


# --- Tokens -------------------------------------------------------------------------------------


@transaction.atomic
def token_create(
    *, team: Team, name: str = "", created_by: Any = None, scopes: list[str] | None = None
) -> tuple[ApiToken, str]:
    """Create an API token for `team` with `scopes` (Scope values; by default submit and read,
    never decide). Returns the token row and the secret, which is shown once and never stored."""
    prefix, raw = tokens.generate()
    token = ApiToken.objects.create(
        team=team,
        name=name,
        prefix=prefix,
        hashed_secret=tokens.hash_token(raw),
        created_by=created_by,
        scopes=list(scopes) if scopes is not None else default_scopes(),
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> None:
    """Revoke a token; requests carrying it are refused from now on."""
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())


# --- Circuit breakers ---------------------------------------------------------------------------


def circuit_close(*, circuit_id: int) -> bool:
    """Close a circuit by hand (an operator fixed what the executor calls): its waiting steps
    are claimed again at once. Returns False if it was closed already."""
    with transaction.atomic():
        circuit = ExecutorCircuit.objects.select_for_update().filter(pk=circuit_id).first()
        if circuit is None or (
            circuit.state == CircuitState.CLOSED and circuit.consecutive_failures == 0
        ):
            return False
        was = circuit_state(circuit)
        circuit.state = CircuitState.CLOSED
        circuit.consecutive_failures = 0
        circuit.open_until = circuit.trial_until = None
        circuit.save()
        logger.info("executor %s: circuit closed by hand (was %s)", circuit.executor, was)
        transaction.on_commit(partial(nudge_waiting_plans, circuit.team_id, circuit.executor))
        notify_workers()
    return True


# --- Helpers ------------------------------------------------------------------------------------


def _lock(plan: Plan) -> Plan:
    # Re-read under the row lock: the caller's copy may be stale, and the decision must be made
    # on the status as it is now, while no one else can change it.
    # of=self: lock the plan row only, not its team's (which every plan of the team shares).
    # NO KEY UPDATE: other transactions may still insert rows pointing at the plan (events).
    return (
        Plan.objects.select_for_update(of=("self",), no_key=True)
        .select_related("team")
        .get(pk=plan.pk)
    )


def notify_workers(payload: str = "") -> None:
    """Wake every listening worker when the current transaction commits (PostgreSQL only;
    SQLite's single worker polls). `payload` APPROVED_PAYLOAD: all there is to do is start an
    approved plan; READY_PAYLOAD: all there is to do is claim ready steps."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Delivered at commit, and not at all on rollback: a worker woken by it finds the
            # change. Identical notifications in one transaction are folded into one.
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, payload])


def release_dependents(done_ids: Iterable[int]) -> list[int]:
    """Count down `waiting_on` of the steps that depend on these steps, which are now done for
    their dependents: newly completed, or skipped with nothing left to wait for (by as many of
    them as each depends on).

    A skipped step stands in for what it waited for: its dependents wait for it until its own
    `waiting_on` reaches 0, then go on without its result. So a skipped step counted down to 0
    here releases its dependents in turn, through any chain of skipped steps.

    Returns the ids of the steps that are ready now (pending, waiting on nothing, not held at a
    gate).
    """
    done_ids = list(done_ids)
    if connection.vendor == "postgresql":
        return _release_dependents_postgres(done_ids)
    Through = PlanStep.depends_on.through
    counted: set[int] = set()
    # Each round goes one edge further down an acyclic graph, and a skipped step reaches 0 once:
    # this ends, and no step is counted down twice for one dependency.
    while done_ids:
        counts = Counter(
            Through.objects.filter(to_planstep_id__in=done_ids).values_list(
                "from_planstep_id", flat=True
            )
        )
        by_count: dict[int, list[int]] = {}
        for step_id, n in counts.items():
            by_count.setdefault(n, []).append(step_id)
        # Usually one statement: most steps wait on one of the steps just finished.
        for n, step_ids in by_count.items():
            PlanStep.objects.filter(pk__in=step_ids).update(waiting_on=F("waiting_on") - n)
        # A gated step that is ready now waits for a reviewer instead, in this same transaction,
        # so no worker can claim it first (plans/gates/hold.py).
        gates_hold(PlanStep.objects.filter(pk__in=list(counts)))
        counted |= set(counts)
        done_ids = list(
            PlanStep.objects.filter(
                pk__in=list(counts), status=StepStatus.SKIPPED, waiting_on=0
            ).values_list("pk", flat=True)
        )
    if not counted:
        return []
    return list(
        PlanStep.objects.filter(
            pk__in=list(counted), status=StepStatus.PENDING, waiting_on=0
        ).values_list("pk", flat=True)
    )


def _release_dependents_postgres(done_ids: list[int]) -> list[int]:
    # The same rounds as release_dependents()'s, each one statement that counts down and
    # returns what it changed: the worker calls this for every step that completes.
    released: list[int] = []
    while done_ids:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE plans_planstep s
                SET waiting_on = s.waiting_on - d.n
                FROM (
                    SELECT from_planstep_id AS id, count(*) AS n
                    FROM plans_planstep_depends_on
                    WHERE to_planstep_id = ANY(%s)
                    GROUP BY from_planstep_id
                ) d
                WHERE s.id = d.id
                RETURNING s.id, s.status, s.waiting_on, s.approval, s.gate_approved_at
                """,
                [done_ids],
            )
            ready, done_ids = dependents_counted(cursor.fetchall())
        released += ready
    return released


def dependents_counted(rows: Iterable[Sequence[Any]]) -> tuple[list[int], list[int]]:
    """After one round of counting down (rows of id, status, waiting_on, approval,
    gate_approved_at, as the count-down statement returns them): hold the gated steps that are
    ready now, and return the ids of the steps that are ready to run and of the skipped steps
    that reached 0, whose own dependents are counted down in the next round."""
    ready = [row for row in rows if row[2] == 0]
    gated = [
        pk
        for pk, status, _, approval, approved_at in ready
        if status == StepStatus.PENDING
        and approval == StepApproval.REQUIRED
        and approved_at is None
    ]
    if gated:
        # A gated step that is ready now waits for a reviewer instead, in this same
        # transaction, so no worker can claim it first (plans/gates/hold.py).
        gates_hold(PlanStep.objects.filter(pk__in=gated))
    return (
        [row[0] for row in ready if row[1] == StepStatus.PENDING and row[0] not in gated],
        [row[0] for row in ready if row[1] == StepStatus.SKIPPED],
    )


def nudge_waiting_plans(team_id: int, executor: str) -> None:
    """Tell the open pages of the team's executing plans with pending steps of `executor` to
    refresh. Never raises: it runs after the commit, and a page missing it only shows the change
    late."""
    try:
        plans = (
            Plan.objects.filter(
                team_id=team_id,
                status=PlanStatus.EXECUTING,
                steps__executor=executor,
                steps__status=StepStatus.PENDING,
            )
            .distinct()
            .annotate(
                last_event=Subquery(
                    PlanEvent.objects.filter(plan=OuterRef("pk")).order_by("-id").values("id")[:1]
                )
            )
            .values_list("pk", "team_id", "last_event")[:NUDGE_PLANS]
        )
        for pk, team, last_event in plans:
            realtime.publish(plan_id=pk, team_id=team, event_id=last_event or 0)
    except Exception:
        logger.warning("could not nudge the pages waiting for %s", executor, exc_info=True)


def _bump_version_if_draft(plan: Plan, *, actor: Actor = SYSTEM, comment: str = "") -> None:
    """Raise a draft's version after a change the reviewer must see, and record the new version
    as a revision in the same transaction (called with the plan locked)."""
    if plan.status == PlanStatus.DRAFT:
        plan.version += 1
        plan.save(update_fields=["version", "updated_at"])
        revision_record(plan=plan, actor=actor.label, actor_user=actor.user, comment=comment)


def _skip_pending(plan: Plan, *, reason: str, now: Any) -> list[str]:
    # Steps awaiting a gate decision go with the pending ones: they will not run either.
    pending = plan.steps.filter(status__in=[StepStatus.PENDING, StepStatus.AWAITING_APPROVAL])
    keys = list(pending.values_list("key", flat=True))
    pending.update(
        status=step_transition(StepStatus.PENDING, StepStatus.SKIPPED),
        skip_reason=reason,
        finished_at=now,
    )
    return keys


def _record(
    plan: Plan, kind: str, actor: Actor, *, step_key: str = "", data: dict[str, Any] | None = None
) -> PlanEvent:
    role = ""
    if actor.user is not None:
        role = (
            Membership.objects.filter(team_id=plan.team_id, user=actor.user)
            .values_list("role", flat=True)
            .first()
        ) or ""
    event = PlanEvent.objects.create(
        plan=plan,
        kind=kind,
        step_key=step_key,
        actor=actor.label,
        actor_user=actor.user,
        source=actor.source,
        role=role,
        data=data or {},
    )
    notifications_enqueue([event])
    # Announce only after commit: a page that reads the log on this nudge must find the change,
    # and a rolled-back change must never be announced.
    transaction.on_commit(
        partial(realtime.publish, plan_id=plan.pk, team_id=plan.team_id, event_id=event.pk)
    )
    return event


# --- Idempotent submission ----------------------------------------------------------------------


class IdempotencyConflict(DomainError):
    """An Idempotency-Key reused with a different request body."""


@transaction.atomic
def plan_submit_once(
    *,
    team: Team,
    actor: Actor,
    submission: PlanSubmission,
    key: str,
    request_hash: str,
    render: Callable[[Submitted], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Submit a plan at most once per (team, Idempotency-Key).

    Returns the response body and whether it is a replay of an earlier request. Raises
    IdempotencyConflict if the key was used with another body, and PlanInvalid (storing nothing,
    so the key stays free) for a bad plan.
    """
    return run_once(
        team=team,
        key=key,
        request_hash=request_hash,
        status_code=201,
        make=lambda: render(plan_submit_written(team=team, actor=actor, submission=submission)),
    )


@transaction.atomic
def run_once(
    *,
    team: Team,
    key: str,
    request_hash: str,
    status_code: int,
    make: Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Make a change at most once per (team, Idempotency-Key): run `make` and store its response,
    or return the stored one. Returns the response and whether it is a replay.

    Raises IdempotencyConflict if the key was used with another request, and whatever `make`
    raises (storing nothing, so the key stays free).
    """
    try:
        # The unique (team, key) index is the lock: a concurrent request with the same key blocks
        # on this insert until the first one commits, then fails and replays its response.
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                team=team, key=key, request_hash=request_hash, status_code=status_code, response={}
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(team=team, key=key)
        if existing.request_hash != request_hash:
            raise IdempotencyConflict(
                f"Idempotency-Key {key!r} was already used with a different request body"
            ) from None
        return existing.response, True
    record.response = make()
    record.save(update_fields=["response"])
    return record.response, False
