"""Plangate's domain: teams and their tokens, plans, steps, planning artifacts and the event log.

Fields, constraints and indexes only; every change of status goes through plans/services.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from executors.protocol import FailureClass
from plans.rescue.rules import OnFailure
from plans.states import PLAN_TERMINAL, STEP_TERMINAL, PlanStatus, StepStatus


def default_max_concurrency() -> int:
    return int(settings.PLANGATE_PLAN_MAX_CONCURRENCY)


class Team(models.Model):
    """The tenant: plans, tokens and reviewers all belong to one team."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token acting for one team. Only a prefix and a SHA-256 hash of it are stored."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_secret = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.team})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApprovalSource(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer in the browser"
    TOKEN = "token", "API token"
    POLICY = "policy", "Policy"


class Plan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="plans")
    # Namespace from the integration: the agent's end user and the conversation topic.
    user_id = models.CharField(max_length=200)
    topic_id = models.CharField(max_length=200)
    goal = models.TextField()
    title = models.CharField(max_length=300, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # The delegation tree the plan was submitted as, if any, kept for review.
    delegation = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # Goes up on every change a reviewer must see before approving.
    version = models.PositiveIntegerField(default=1)
    approved_via = models.CharField(max_length=20, choices=ApprovalSource.choices, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by_token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # At most this many of the plan's steps run at once, over all workers.
    max_concurrency = models.PositiveIntegerField(default=default_max_concurrency)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["team", "status", "-created_at"]),
            models.Index(fields=["team", "user_id", "topic_id"]),
            models.Index(fields=["status"]),
        ]

    def __str__(self) -> str:
        return self.title or self.goal[:80]

    @property
    def display_title(self) -> str:
        return self.title or self.goal[:120]

    @property
    def is_terminal(self) -> bool:
        return self.status in PLAN_TERMINAL


class PlanStep(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=200)
    # Submission order (for delegation trees: children before parents).
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=300, blank=True)
    task = models.TextField()
    hint = models.TextField(blank=True)
    executor = models.CharField(max_length=100)
    params = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, related_name="dependents", blank=True
    )
    # How many of depends_on are not yet done: not completed, or skipped while still waiting
    # (a skipped step holds its dependents back until its own waiting_on is 0, then lets them
    # go without its result). The step is ready at 0.
    # Kept by the services, so claiming a step never has to look at its dependencies.
    waiting_on = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=StepStatus.choices, default=StepStatus.PENDING)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    failure_class = models.CharField(max_length=30, choices=FailureClass.choices, blank=True)
    skip_reason = models.TextField(blank=True)
    # Attempts started so far; also the fence that refuses a late result from an earlier attempt.
    attempts = models.PositiveIntegerField(default=0)
    # Per-step limits; None means the executor's default, then the settings'.
    max_attempts = models.PositiveIntegerField(null=True, blank=True)
    timeout_seconds = models.FloatField(null=True, blank=True)
    # A pending step waits until then before it may be claimed (retry backoff).
    run_after = models.DateTimeField(null=True, blank=True)
    # The worker running the step and until when; it renews the lease while the step runs, and
    # any worker may reclaim the step once it has expired.
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # How many times a worker died (its lease expired) while running this step.
    lost_leases = models.PositiveIntegerField(default=0)
    # Attempts that do not count against max_attempts: handed back at a worker's shutdown, or
    # failed while the executor's circuit was open (the step waits for it instead).
    spared_attempts = models.PositiveIntegerField(default=0)
    # Fan-out and pipelines: on the parent, {"over": ..., "max_concurrency": n, "stages": [...]};
    # children point at their parent with the item's index, stage and value.
    for_each = models.JSONField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    item_index = models.PositiveIntegerField(null=True, blank=True)
    stage_index = models.PositiveIntegerField(null=True, blank=True)
    item = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When it fails for good: fail the plan, or hold it for a reviewer (plans/rescue/).
    on_failure = models.CharField(max_length=10, choices=OnFailure.choices, default=OnFailure.FAIL)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="plans_step_key_unique_in_plan")
        ]
        indexes = [
            models.Index(fields=["status", "plan"]),
            models.Index(fields=["plan", "status"]),
            # What claiming scans: ready steps only.
            models.Index(
                fields=["plan", "position"],
                condition=models.Q(status="pending", waiting_on=0),
                name="plans_step_ready",
            ),
            # What reclaiming scans: running steps by lease expiry.
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status="in_progress"),
                name="plans_step_leased",
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def display_title(self) -> str:
        return self.title or self.task[:120]

    @property
    def is_terminal(self) -> bool:
        return self.status in STEP_TERMINAL


class PlanningArtifact(models.Model):
    """What the agent produced while planning, for the reviewer to read."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="artifacts")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True, help_text="Markdown; rendered sanitized.")
    assumptions = models.JSONField(default=list, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    proposed_plan = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return self.title


class EventKind(models.TextChoices):
    PLAN_CREATED = "plan.created", "Plan created"
    PLAN_APPROVED = "plan.approved", "Plan approved"
    PLAN_STARTED = "plan.started", "Plan started"
    PLAN_COMPLETED = "plan.completed", "Plan completed"
    PLAN_FAILED = "plan.failed", "Plan failed"
    PLAN_CANCELLED = "plan.cancelled", "Plan cancelled"
    ARTIFACT_ADDED = "artifact.added", "Artifact added"
    STEP_STARTED = "step.started", "Step started"
    STEP_COMPLETED = "step.completed", "Step completed"
    STEP_FAILED = "step.failed", "Step failed"
    STEP_SKIPPED = "step.skipped", "Step skipped"
    STEP_RETRYING = "step.retrying", "Step failed, will retry"
    STEP_RECLAIMED = "step.reclaimed", "Step reclaimed (its worker was lost)"
    STEP_RELEASED = "step.released", "Step released (its worker stopped)"
    STEP_EXPANDED = "step.expanded", "Step fanned out"
    PLAN_RESTORED = "plan.restored", "Plan restored from a checkpoint"
    PLAN_NEEDS_ATTENTION = "plan.needs_attention", "Plan needs attention (a step failed)"
    PLAN_RESUMED = "plan.resumed", "Plan resumed after a rescue"
    STEP_RETRIED = "step.retried", "Step retried by a reviewer"


class PlanEvent(models.Model):
    """Append-only log of everything that happens to a plan.

    The audit trail, the source of live updates and what pages and integrations catch up from:
    ids only grow, and a plan's events are written under its row lock, so within a plan they
    commit in id order.
    """

    id = models.BigAutoField(primary_key=True)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    step_key = models.CharField(max_length=200, blank=True)
    # Who did it, for display: "user:alice", "token:pg_ab12cd34", "worker:host:1234", "system".
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["plan", "id"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "step_key": self.step_key,
            "actor": self.actor,
            "data": self.data,
            "created_at": self.created_at.isoformat(),
        }


class IdempotencyRecord(models.Model):
    """The response to a create request sent with an Idempotency-Key, replayed for repeats."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="plans_idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.key}"


class CircuitState(models.TextChoices):
    CLOSED = "closed", "Closed"
    OPEN = "open", "Open"
    HALF_OPEN = "half_open", "Half open"


class ExecutorCircuit(models.Model):
    """The circuit breaker of one executor for one team, shared by every worker.

    After PLANGATE_BREAKER_FAILURES consecutive failures of the counted classes the circuit
    opens: no step of that executor in that team's plans is claimed until `open_until`. Then one
    trial step runs (half open; `trial_until` bounds how long the trial may take before another
    is let through): a success closes the circuit, a counted failure opens it again. Per team, so
    that one team's failures neither pause another team's steps nor show it their error text.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="circuits")
    executor = models.CharField(max_length=100)
    state = models.CharField(
        max_length=20, choices=CircuitState.choices, default=CircuitState.CLOSED
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    trial_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "executor"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "executor"], name="plans_circuit_one_per_team_executor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.executor} ({self.team}): {self.state}"
