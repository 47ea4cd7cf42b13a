"""Every change to a plan: lock, check the state rules, save, record the event, publish.

Each service is one transaction. It locks the plan row first (`select_for_update`, a no-op on
SQLite, where the IMMEDIATE write lock serialises writers instead), so of two racing requests
(approve vs cancel, two approvals, skip vs start) exactly one wins and the other sees the new
status and gets a DomainError. Taking the plan lock before any step lock, everywhere, keeps lock
order fixed so services cannot deadlock each other, and keeps a plan's events in id order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from executors import registry
from executors.protocol import StepOutcome
from plans import realtime, tokens
from plans.delegation import compile_tree
from plans.models import (
    ApiToken,
    ApprovalSource,
    EventKind,
    IdempotencyRecord,
    Plan,
    PlanEvent,
    PlanningArtifact,
    PlanStep,
    Team,
)
from plans.states import (
    DomainError,
    PlanStatus,
    StaleVersion,
    StepStatus,
    check_step_skippable,
    plan_transition,
    step_transition,
)
from plans.validation import PlanInvalid, Problem, StepDraft, check_steps, topological_order

CANCELLED_REASON = "cancelled"
PLAN_CANCELLED_SKIP_REASON = "plan cancelled"
PLAN_FAILED_SKIP_REASON = "plan failed"


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: a reviewer, an API token, a worker or the system."""

    label: str
    user: Any = None  # the acting django.contrib.auth user, if a person
    token: ApiToken | None = None

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(label=f"user:{user.get_username()}", user=user)

    @classmethod
    def for_token(cls, token: ApiToken) -> Actor:
        return cls(label=f"token:{token.prefix}", token=token)

    @classmethod
    def worker(cls, name: str) -> Actor:
        return cls(label=f"worker:{name}")

    @property
    def approval_source(self) -> str:
        if self.user is not None:
            return ApprovalSource.REVIEWER
        if self.token is not None:
            return ApprovalSource.TOKEN
        return ApprovalSource.POLICY


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


# --- Submission ---------------------------------------------------------------------------------


def check_executor(name: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems with a step's executor name and params, as (field, message) pairs."""
    if not registry.is_registered(name):
        return [
            ("executor", f"unknown executor {name!r}; registered: {', '.join(registry.names())}")
        ]
    return [("params", msg) for msg in registry.get(name).validate_params(params)]


def prepare_steps(submission: PlanSubmission) -> tuple[str, list[StepDraft]]:
    """The plan's goal and its steps in dependency order.

    Raises PlanInvalid listing every problem.
    """
    problems: list[Problem] = []
    goal = submission.goal.strip()
    if (submission.steps is None) == (submission.delegation is None):
        raise PlanInvalid(
            [Problem(("steps",), "give either 'steps' or 'delegation', not both or neither")]
        )
    if submission.delegation is not None:
        try:
            tree = compile_tree(
                submission.delegation,
                default_executor=settings.PLANGATE_DEFAULT_EXECUTOR,
                max_depth=settings.PLANGATE_MAX_TREE_DEPTH,
            )
        except PlanInvalid as exc:
            problems.extend(exc.problems)
            drafts: list[StepDraft] = []
        else:
            goal = goal or tree.goal
            drafts = tree.steps
    else:
        drafts = list(submission.steps or [])
    if not goal:
        problems.insert(0, Problem(("goal",), "goal must not be empty"))
    if drafts or submission.steps is not None:
        problems.extend(
            check_steps(
                drafts, check_executor=check_executor, max_steps=settings.PLANGATE_MAX_STEPS
            )
        )
    if problems:
        raise PlanInvalid(problems)
    return goal, topological_order(drafts)


@transaction.atomic
def plan_submit(*, team: Team, actor: Actor, submission: PlanSubmission) -> Plan:
    """Create a draft plan with its steps and artifacts. Raises PlanInvalid; writes nothing then."""
    goal, drafts = prepare_steps(submission)
    plan = Plan.objects.create(
        team=team,
        user_id=submission.user_id,
        topic_id=submission.topic_id,
        goal=goal,
        title=submission.title.strip(),
        tags=submission.tags,
        delegation=submission.delegation,
    )
    steps = PlanStep.objects.bulk_create(
        PlanStep(
            plan=plan,
            key=d.key,
            position=i,
            title=d.title,
            task=d.task,
            hint=d.hint,
            executor=d.executor,
            params=d.params,
            context=d.context,
        )
        for i, d in enumerate(drafts)
    )
    ids = {s.key: s.pk for s in steps}
    Through = PlanStep.depends_on.through
    Through.objects.bulk_create(
        Through(from_planstep_id=ids[d.key], to_planstep_id=ids[dep])
        for d in drafts
        for dep in d.depends_on
    )
    PlanningArtifact.objects.bulk_create(_artifact(plan, a) for a in submission.artifacts)
    _record(
        plan, EventKind.PLAN_CREATED, actor, data={"version": plan.version, "steps": len(steps)}
    )
    return plan


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
    if plan.is_terminal:
        raise DomainError(f"cannot add an artifact to a plan that is {plan.status}")
    artifact = _artifact(plan, draft)
    artifact.save()
    _bump_version_if_draft(plan)
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

    Raises StaleVersion if the plan changed since (the reviewer must look again) and
    InvalidTransition unless the plan is a draft.
    """
    plan = _lock(plan)
    plan_transition(plan.status, PlanStatus.APPROVED)
    if version != plan.version:
        raise StaleVersion(
            f"the plan changed since version {version}; "
            f"review version {plan.version} and approve again",
            current_version=plan.version,
        )
    plan.status = PlanStatus.APPROVED
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
            "approved_at",
            "updated_at",
        ]
    )
    _record(
        plan, EventKind.PLAN_APPROVED, actor, data={"version": version, "via": plan.approved_via}
    )
    return plan


@transaction.atomic
def plan_cancel(*, plan: Plan, actor: Actor, reason: str) -> Plan:
    """Cancel a plan that has not ended. Pending steps are skipped ("plan cancelled"); running
    steps end failed ("cancelled") at once, and the worker running them is told to stop and has
    its late result refused. Raises InvalidTransition for an ended plan."""
    plan = _lock(plan)
    plan_transition(plan.status, PlanStatus.CANCELLED)
    now = timezone.now()
    skipped = _skip_pending(plan, reason=PLAN_CANCELLED_SKIP_REASON, now=now)
    running = list(plan.steps.filter(status=StepStatus.IN_PROGRESS).values_list("key", flat=True))
    plan.steps.filter(status=StepStatus.IN_PROGRESS).update(
        status=step_transition(StepStatus.IN_PROGRESS, StepStatus.FAILED),
        error=CANCELLED_REASON,
        finished_at=now,
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
    return plan


@transaction.atomic
def step_skip(*, plan: Plan, key: str, actor: Actor, reason: str) -> PlanStep:
    """Skip a pending step; its dependents will run without its result.

    Allowed while the plan is draft, approved or executing. On a draft, the version goes up.
    Raises PlanStep.DoesNotExist for an unknown key and InvalidTransition when the step or plan
    no longer allows it (for example the worker started the step first).
    """
    plan = _lock(plan)
    if "\x00" in key:
        # No key holds one (submission refuses them), and PostgreSQL cannot even compare it.
        raise PlanStep.DoesNotExist(f"no step {key!r}")
    step = plan.steps.get(key=key)
    check_step_skippable(plan_status=plan.status, step_status=step.status, key=key)
    if not reason.strip():
        raise DomainError("give a reason for skipping the step")
    step.status = StepStatus.SKIPPED
    step.skip_reason = reason.strip()
    step.finished_at = timezone.now()
    step.save(update_fields=["status", "skip_reason", "finished_at"])
    _bump_version_if_draft(plan)
    _record(
        plan,
        EventKind.STEP_SKIPPED,
        actor,
        step_key=key,
        data={"reason": step.skip_reason, "version": plan.version},
    )
    if plan.status == PlanStatus.EXECUTING:
        _finish_if_done(plan, actor)
    return step


# --- Execution (called by the worker) -----------------------------------------------------------


@transaction.atomic
def plan_start(*, plan: Plan, actor: Actor) -> bool:
    """Move an approved plan to executing. Returns False if another worker got there first or the
    plan was cancelled meanwhile."""
    plan = _lock(plan)
    if plan.status != PlanStatus.APPROVED:
        return False
    plan.status = plan_transition(plan.status, PlanStatus.EXECUTING)
    plan.started_at = timezone.now()
    plan.save(update_fields=["status", "started_at", "updated_at"])
    _record(plan, EventKind.PLAN_STARTED, actor)
    # A plan whose every step was skipped before approval has nothing left to run.
    _finish_if_done(plan, actor)
    return True


@transaction.atomic
def step_start(*, step_id: int, actor: Actor) -> PlanStep | None:
    """Claim a ready step: pending -> in_progress, one more attempt. Returns None if the step is no
    longer pending or its plan no longer executing (another worker, a skip or a cancel won)."""
    step = PlanStep.objects.select_related("plan").get(pk=step_id)
    plan = _lock(step.plan)
    if plan.status != PlanStatus.EXECUTING:
        return None
    # Compare-and-swap on the status: of two workers claiming the same step, one updates a row.
    claimed = PlanStep.objects.filter(pk=step_id, status=StepStatus.PENDING).update(
        status=step_transition(StepStatus.PENDING, StepStatus.IN_PROGRESS),
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
    )
    if not claimed:
        return None
    step.refresh_from_db()
    _record(plan, EventKind.STEP_STARTED, actor, step_key=step.key, data={"attempt": step.attempts})
    return step


@transaction.atomic
def step_finish(*, step_id: int, attempt: int, outcome: StepOutcome, actor: Actor) -> bool:
    """Record what running a step came to, and end the plan if that was its last step.

    Fenced by the attempt: if the step is no longer in progress under this attempt (the plan was
    cancelled, or the step was handed to another worker), the result is refused and False is
    returned; nothing is written.
    """
    step = PlanStep.objects.select_related("plan").get(pk=step_id)
    plan = _lock(step.plan)
    status = StepStatus.COMPLETED if outcome.ok else StepStatus.FAILED
    updated = PlanStep.objects.filter(
        pk=step_id, status=StepStatus.IN_PROGRESS, attempts=attempt
    ).update(
        status=status,
        result=outcome.result if outcome.ok else None,
        error="" if outcome.ok else outcome.error,
        finished_at=timezone.now(),
    )
    if not updated:
        return False
    if outcome.ok:
        _record(plan, EventKind.STEP_COMPLETED, actor, step_key=step.key, data={"attempt": attempt})
    else:
        _record(
            plan,
            EventKind.STEP_FAILED,
            actor,
            step_key=step.key,
            data={"attempt": attempt, "error": outcome.error, "retryable": outcome.retryable},
        )
    _finish_if_done(plan, actor)
    return True


def _finish_if_done(plan: Plan, actor: Actor) -> None:
    """End an executing plan once nothing more will run: completed, or failed after a step failed
    and the steps in flight ended. Called with the plan locked."""
    if plan.status != PlanStatus.EXECUTING:
        return
    counts = dict.fromkeys(StepStatus.values, 0)
    for status in plan.steps.values_list("status", flat=True):
        counts[status] += 1
    if counts[StepStatus.IN_PROGRESS]:
        return
    now = timezone.now()
    if counts[StepStatus.FAILED]:
        skipped = _skip_pending(plan, reason=PLAN_FAILED_SKIP_REASON, now=now)
        failed = list(plan.steps.filter(status=StepStatus.FAILED).values_list("key", flat=True))
        plan.status = plan_transition(plan.status, PlanStatus.FAILED)
        kind, data = EventKind.PLAN_FAILED, {"failed": failed, "skipped": skipped}
    elif counts[StepStatus.PENDING]:
        return
    else:
        plan.status = plan_transition(plan.status, PlanStatus.COMPLETED)
        kind, data = EventKind.PLAN_COMPLETED, {}
    plan.finished_at = now
    plan.save(update_fields=["status", "finished_at", "updated_at"])
    _record(plan, kind, actor, data=data)


# --- Tokens -------------------------------------------------------------------------------------


@transaction.atomic
def token_create(*, team: Team, name: str = "", created_by: Any = None) -> tuple[ApiToken, str]:
    """Create an API token for `team`. Returns the token row and the secret, which is shown once
    and never stored."""
    prefix, raw = tokens.generate()
    token = ApiToken.objects.create(
        team=team,
        name=name,
        prefix=prefix,
        hashed_secret=tokens.hash_token(raw),
        created_by=created_by,
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> None:
    """Revoke a token; requests carrying it are refused from now on."""
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())


# --- Helpers ------------------------------------------------------------------------------------


def _lock(plan: Plan) -> Plan:
    # Re-read under the row lock: the caller's copy may be stale, and the decision must be made
    # on the status as it is now, while no one else can change it.
    # of=self: lock the plan row only, not its team's (which every plan of the team shares).
    return Plan.objects.select_for_update(of=("self",)).select_related("team").get(pk=plan.pk)


def _bump_version_if_draft(plan: Plan) -> None:
    if plan.status == PlanStatus.DRAFT:
        plan.version += 1
        plan.save(update_fields=["version", "updated_at"])


def _skip_pending(plan: Plan, *, reason: str, now: Any) -> list[str]:
    pending = plan.steps.filter(status=StepStatus.PENDING)
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
    event = PlanEvent.objects.create(
        plan=plan,
        kind=kind,
        step_key=step_key,
        actor=actor.label,
        actor_user=actor.user,
        data=data or {},
    )
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
    render: Callable[[Plan], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Submit a plan at most once per (team, Idempotency-Key).

    Returns the response body and whether it is a replay of an earlier request. Raises
    IdempotencyConflict if the key was used with another body, and PlanInvalid (storing nothing,
    so the key stays free) for a bad plan.
    """
    try:
        # The unique (team, key) index is the lock: a concurrent request with the same key blocks
        # on this insert until the first one commits, then fails and replays its response.
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                team=team, key=key, request_hash=request_hash, status_code=201, response={}
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(team=team, key=key)
        if existing.request_hash != request_hash:
            raise IdempotencyConflict(
                f"Idempotency-Key {key!r} was already used with a different request body"
            ) from None
        return existing.response, True
    plan = plan_submit(team=team, actor=actor, submission=submission)
    record.response = render(plan)
    record.save(update_fields=["response"])
    return record.response, False
