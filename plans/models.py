"""Plangate's domain: teams and their tokens, plans, steps, planning artifacts and the event log.

Fields, constraints and indexes only; every change of status goes through plans/services.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from executors.protocol import FailureClass
from plans.deadlines.rules import OnTimeout
from plans.rescue.rules import OnFailure
from plans.states import PLAN_TERMINAL, STEP_TERMINAL, PlanStatus, StepStatus


def default_max_concurrency() -> int:
    return int(settings.PLANGATE_PLAN_MAX_CONCURRENCY)


class Role(models.TextChoices):
    """What a member may do in a team (plans/access/)."""

    VIEWER = "viewer", "Viewer (reads)"
    REVIEWER = "reviewer", "Reviewer (decides)"
    ADMIN = "admin", "Admin (decides, manages members, tokens and rules)"


def validate_reminder_seconds(value: Any) -> None:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        raise ValidationError("give a list of positive whole numbers of seconds")


class Team(models.Model):
    """The tenant: plans, tokens and reviewers all belong to one team."""

    name = models.CharField(max_length=100, unique=True)
    members: models.ManyToManyField[Any, Membership] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="teams",
        blank=True,
        through="Membership",
        through_fields=("team", "user"),
    )
    # Separation of duties: the token that submitted a plan may not decide on it, and a person
    # who revised a plan may not approve it.
    separate_duties = models.BooleanField(
        default=True,
        help_text="The submitting token may not decide on its plan; whoever revised a plan may "
        "not approve it.",
    )
    # Approvals a plan needs when its submission does not say, and the most it may ask for.
    required_approvals = models.PositiveSmallIntegerField(default=1)
    max_required_approvals = models.PositiveSmallIntegerField(default=5)
    # Deadlines (plans/deadlines/): what a submission that says nothing about them gets.
    decision_deadline_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds a plan waits for its decision; empty: no limit."
    )
    on_timeout = models.CharField(
        max_length=10,
        choices=OnTimeout.choices,
        default=OnTimeout.CANCEL,
        help_text="What happens when a deadline passes (skip: gates only; plans cancel).",
    )
    allow_approve_on_timeout = models.BooleanField(
        default=False, help_text="Submissions may ask for on_timeout: approve."
    )
    gate_deadline_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds a gate waits for its decision; empty: no limit."
    )
    reminder_seconds = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_reminder_seconds],
        help_text="Seconds before a deadline at which a reminder goes out, e.g. [3600, 600].",
    )
    escalation_deadline_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The new deadline after an escalation; empty: as long as the first.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Budgets (plans/budgets/): what the team's plans may spend in a calendar month (UTC);
    # None: no limit. A plan a worker would start once this is reached waits for an admin.
    monthly_budget = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="What the team's plans may spend per calendar month (UTC); empty: no limit.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person in a team, with their role there."""

    # The integer key of the table it took over (below).
    id = models.AutoField(primary_key=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.REVIEWER)

    class Meta:
        # The table the team's plain member list used before members had roles.
        db_table = "plans_team_members"
        unique_together = [("team", "user")]
        ordering = ["team", "user"]

    def __str__(self) -> str:
        return f"{self.user} ({self.role} in {self.team})"


class ApproverGroup(models.Model):
    """A named set of a team's members whose approvals count for a plan or a gate.

    Groups with an `escalation_rank` form the team's escalation chain, lowest rank first: a
    decision that times out with `on_timeout: escalate` passes to the next group in it.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="approver_groups")
    name = models.SlugField(max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="approver_groups", blank=True
    )
    escalation_rank = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="plans_group_name_unique"),
            models.UniqueConstraint(
                fields=["team", "escalation_rank"], name="plans_group_rank_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"


class Scope(models.TextChoices):
    """What an API token may do."""

    SUBMIT = "plans:submit", "Submit and revise plans"
    READ = "plans:read", "Read plans"
    DECIDE = "plans:decide", "Decide: approve, cancel, skip, request changes, gates, retries"
    POLICY_WRITE = "policy:write", "Change the team's policy rules and permissions"


def default_scopes() -> list[str]:
    return [Scope.SUBMIT.value, Scope.READ.value]


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
    # The Scope values the token holds.
    scopes = models.JSONField(default=default_scopes)
    # Policy (plans/policy/): the role its plans are submitted as, matched by the team's
    # permissions per executor ("researcher", "deployer"); blank: only "*" entries apply.
    agent_role = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.team})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class DecisionSource(models.TextChoices):
    """Where a decision came from."""

    BROWSER = "browser", "Reviewer in the browser"
    TOKEN = "token", "API token"
    SLACK = "slack", "Slack"
    EMAIL = "email", "Email link"
    POLICY = "policy", "Policy"
    TIMEOUT = "timeout", "Deadline passed"


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
    approved_via = models.CharField(max_length=20, choices=DecisionSource.choices, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by_token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    # The content hash of the approved revision: what the reviewer saw is what runs.
    approved_content_hash = models.CharField(max_length=64, blank=True)
    cancel_reason = models.TextField(blank=True)
    # Who submitted it (separation of duties keeps them from deciding on it).
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by_token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Quorum (plans/approvals/): this many approvals of the current version, from members of
    # the group (none: the team's reviewers), start the plan.
    required_approvals = models.PositiveSmallIntegerField(default=1)
    approver_group = models.ForeignKey(
        ApproverGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Deadlines (plans/deadlines/): the deadline as submitted (part of the content), the one
    # in force now (moved by extensions and escalations) and what happens when it passes.
    decision_deadline = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    on_timeout = models.CharField(
        max_length=10, choices=OnTimeout.choices, default=OnTimeout.CANCEL
    )
    # What the plan may spend in all (plans/budgets/); None: no limit of its own.
    budget = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # Budgets (plans/budgets/): what its steps' attempts cost so far (added under the plan lock
    # with each recorded usage), and why the plan holds when its budget or its team's stopped
    # it ("budget reached: 4.80 of 5.00"); blank when it does not.
    spent = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    hold_reason = models.CharField(max_length=200, blank=True)
    # Plan inputs (plans/bindings/): values of the `{"$input": name}` bindings of its steps, as
    # submitted or supplied later; part of the content.
    inputs = models.JSONField(default=dict, blank=True)
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
            # The list, newest first, of one team's plans: read from the index and stopped at
            # the page's end, however many plans the team has.
            models.Index(fields=["team", "-created_at", "-id"], name="plans_plan_team_newest"),
            models.Index(fields=["team", "user_id", "topic_id"]),
            models.Index(fields=["status"]),
            # What a claim walks: executing plans, oldest start first, until it has locked the
            # few it takes steps from (orchestration/engine/queue.py), not every executing plan.
            models.Index(
                fields=["started_at", "id"],
                condition=models.Q(status="executing"),
                name="plans_plan_executing",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.goal[:80]

    @property
    def display_title(self) -> str:
        return self.title or self.goal[:120]

    @property
    def is_terminal(self) -> bool:
        return self.status in PLAN_TERMINAL


class StepApproval(models.TextChoices):
    """Whether a step waits for a reviewer's decision once its dependencies are done (a gate)."""

    NONE = "none", "None"
    REQUIRED = "required", "Required"


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
    # A gate (plans/gates/): a "required" step goes to awaiting_approval instead of becoming ready,
    # and runs only once a reviewer approved it (who, when, and whether they edited its params).
    approval = models.CharField(
        max_length=10, choices=StepApproval.choices, default=StepApproval.NONE
    )
    gate_approved_by = models.CharField(max_length=200, blank=True)
    gate_approved_at = models.DateTimeField(null=True, blank=True)
    gate_params_edited = models.BooleanField(default=False)
    # A gate's own quorum: this many approvals from the group (none: the plan's approvers).
    approval_group = models.ForeignKey(
        ApproverGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_count = models.PositiveSmallIntegerField(default=1)
    # When it fails for good: fail the plan, or hold it for a reviewer (plans/rescue/).
    on_failure = models.CharField(max_length=10, choices=OnFailure.choices, default=OnFailure.FAIL)
    # Its last failure asks a reviewer whatever on_failure says: a guardrail with
    # `on_block: ask` blocked it, or a recovery recipe `ask` matched (plans/rescue/rules.py).
    asks_reviewer = models.BooleanField(default=False)
    # A gate's deadline (plans/deadlines/): as submitted, seconds from when it starts waiting or
    # a time; the one in force while it waits; what happens when it passes.
    deadline_seconds = models.FloatField(null=True, blank=True)
    deadline_until = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    on_timeout = models.CharField(max_length=10, choices=OnTimeout.choices, blank=True)
    # Checks on what the step takes in and gives out (plans/guardrails/), its quality gate,
    # its recovery recipes by failure class (plans/recovery/) and its expected cost
    # (plans/budgets/), as submitted; None: nothing of the kind (the executor's settings apply).
    guardrails = models.JSONField(null=True, blank=True)
    quality = models.JSONField(null=True, blank=True)
    recover = models.JSONField(null=True, blank=True)
    estimated_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    # Recovery (plans/recovery/): what the next attempt runs when a recipe changed it (a
    # fallback's executor, params patched by `adjust`; ""/None: the step's own, which stay as
    # approved), and the recipes used so far ("step:<class>", "executor:<name>:<class>").
    run_executor = models.CharField(max_length=100, blank=True)
    run_params = models.JSONField(null=True, blank=True)
    recoveries = models.JSONField(default=list, blank=True)
    # Catalog (plans/catalog/): the action the step names ("": none) and its inputs as
    # submitted, bindings included; executor and params are compiled from them.
    action = models.CharField(max_length=100, blank=True)
    inputs = models.JSONField(null=True, blank=True)

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
    PLAN_CHANGES_REQUESTED = "plan.changes_requested", "Changes requested"
    COMMENT_ADDED = "comment.added", "Comment added"
    STEP_AWAITING_APPROVAL = "step.awaiting_approval", "Step awaits approval"
    STEP_APPROVED = "step.approved", "Step approved"
    PLAN_REVISED = "plan.revised", "Plan revised"
    PLAN_NEEDS_ATTENTION = "plan.needs_attention", "Plan needs attention (a step failed)"
    PLAN_RESUMED = "plan.resumed", "Plan resumed after a rescue"
    STEP_RETRIED = "step.retried", "Step retried by a reviewer"
    # One approval counted towards a quorum that still needs more (plans/approvals/).
    APPROVAL_RECORDED = "approval.recorded", "Approval recorded"
    # Deadlines (plans/deadlines/); with a step_key they are about that step's gate.
    DEADLINE_SOON = "deadline.soon", "Decision deadline soon"
    DEADLINE_EXTENDED = "deadline.extended", "Decision deadline extended"
    DECISION_ESCALATED = "decision.escalated", "Decision escalated"
    DECISION_TIMED_OUT = "decision.timed_out", "Decision deadline passed"
    # A recovery recipe (plans/recovery/) decided what follows a failed attempt.
    STEP_RECOVERING = "step.recovering", "Step recovering"
    # Budgets (plans/budgets/): spending stopped the plan; a reviewer's vote to raise its
    # budget that still needs others; the budget raised.
    PLAN_BUDGET_REACHED = "plan.budget_reached", "Budget reached"
    BUDGET_RAISE_RECORDED = "budget.raise_recorded", "Budget raise recorded"
    PLAN_BUDGET_RAISED = "plan.budget_raised", "Budget raised"
    # The planner (plans/planning/) made this plan: how it went, candidate by candidate.
    PLANNING_STARTED = "planning.started", "Planning started"
    PLANNING_CANDIDATE = "planning.candidate", "Planner drafted a candidate"
    PLANNING_INVALID = "planning.invalid", "Candidate refused by the validator"
    PLANNING_REPAIRED = "planning.repaired", "Planner repaired the candidate"
    PLANNING_DONE = "planning.done", "Planning done"


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
    # For what people and tokens did: through what (a DecisionSource value) and, for a person,
    # their role in the team at that moment. Blank for workers and the system.
    source = models.CharField(max_length=20, choices=DecisionSource.choices, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
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


class TeamEvent(models.Model):
    """Append-only log of changes to a team's own settings (its policy, its budget), for the
    audit: who changed what, when, through what. Plan changes are PlanEvents."""

    id = models.BigAutoField(primary_key=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="events")
    # Dotted, like PlanEvent kinds: "policy.changed", "budget.changed".
    kind = models.CharField(max_length=40)
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, choices=DecisionSource.choices, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["team", "id"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.kind} ({self.team_id})"


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


class RevisionImmutable(Exception):
    """A saved revision was about to be changed: revisions are a record, never rewritten."""


class PlanRevision(models.Model):
    """One version of a plan as a reviewer sees it: title, goal, delegation tree, steps (what
    runs: each step's executor, params, dependencies, limits), artifacts.

    Written once, in the same transaction as the change that made the version, and never
    changed: approval binds to a revision's `content_hash`, so a revision that could be edited
    would let what runs differ from what was approved.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    content = models.JSONField()
    # sha256 of the content as canonical JSON (plans/revisions/content.py).
    content_hash = models.CharField(max_length=64)
    # Who made it, for display ("user:alice", "token:pgt_ab12", "system"), and why.
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Policy (plans/policy/): what the team's rules decided about this version when it was
    # submitted or revised (null for versions no policy was evaluated for). Not content: kept out
    # of the content hash.
    policy = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "version"], name="plans_revision_one_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RevisionImmutable(f"revision {self.version} of plan {self.plan_id} is final")
        super().save(*args, **kwargs)


class CommentKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    # Written with a request for changes: its general comment and its comments on steps.
    CHANGE_REQUEST = "change_request", "Change request"


class PlanComment(models.Model):
    """A reviewer's (or an integration's) remark on a plan or one of its steps. Markdown,
    rendered sanitized. Comments never change the plan's version: they are talk, not content."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    # The step's key, blank for the plan as a whole. A key rather than a foreign key: the remark
    # stays readable whatever becomes of the step.
    step_key = models.CharField(max_length=200, blank=True)
    body = models.TextField(help_text="Markdown; rendered sanitized.")
    kind = models.CharField(max_length=20, choices=CommentKind.choices, default=CommentKind.COMMENT)
    # The plan's version when it was written, so a reader knows which version it is about.
    version = models.PositiveIntegerField()
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "id"]
        indexes = [models.Index(fields=["plan", "id"])]

    def __str__(self) -> str:
        return f"{self.actor} on {self.step_key or 'the plan'}"


class Approval(models.Model):
    """One approval of one version of a plan (step_key blank) or of one gate.

    A quorum counts the approvals of the plan's current version, each person or token once; a
    new revision leaves the earlier ones behind (kept, for the audit, but no longer counted).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="approvals")
    step_key = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The label of who approved ("user:alice", "token:ab12cd34ef56"), kept if the account goes.
    actor = models.CharField(max_length=200)
    source = models.CharField(max_length=20, choices=DecisionSource.choices)
    role = models.CharField(max_length=10, choices=Role.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            # The same person (or token) counts once per version of a plan or gate.
            models.UniqueConstraint(
                fields=["plan", "step_key", "version", "actor"],
                name="plans_approval_once_per_actor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor} approved {self.step_key or 'the plan'} v{self.version}"


# --- Notifications (plans/notifications/) -------------------------------------------------------


class NotificationType(models.TextChoices):
    """What a subscription may ask to hear about."""

    PLAN_WAITING = "plan.waiting", "A plan waits for a decision"
    GATE_WAITING = "gate.waiting", "A gate waits for a decision"
    PLAN_REVISED = "plan.revised", "A plan was revised"
    DECISION_ESCALATED = "decision.escalated", "A decision was escalated"
    DEADLINE_SOON = "deadline.soon", "A decision deadline is near"
    DECISION_TIMED_OUT = "decision.timed_out", "A decision deadline passed"
    PLAN_COMPLETED = "plan.completed", "A plan completed"
    PLAN_FAILED = "plan.failed", "A plan failed"


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (signed JSON POST)"
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack channel"


def new_signing_secret() -> str:
    import secrets

    return f"whsec_{secrets.token_urlsafe(32)}"


class Subscription(models.Model):
    """Where a team's notifications go: a webhook URL, an email address or a Slack channel,
    optionally only about one approver group's decisions or for one member.

    After PLANGATE_NOTIFY_MAX_FAILURES failed attempts in a row it is disabled (`disabled_at`)
    until an admin re-enables it.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="subscriptions")
    name = models.CharField(max_length=100, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The URL, the address (blank for a member: their own) or the Slack channel id.
    target = models.CharField(max_length=500, blank=True)
    # Signs webhook bodies (HMAC-SHA256). Shown once, when the subscription is created.
    secret = models.CharField(max_length=100, default=new_signing_secret, editable=False)
    # NotificationType values; empty means all of them.
    types = models.JSONField(default=list, blank=True)
    approver_group = models.ForeignKey(
        ApproverGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_subscriptions",
    )
    enabled = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "id"]

    def __str__(self) -> str:
        return self.name or f"{self.channel} {self.target or self.user or ''}".strip()

    @property
    def is_active(self) -> bool:
        return self.enabled and self.disabled_at is None


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Given up"


class OutboxMessage(models.Model):
    """One notification for one subscription, written in the transaction of the event it
    announces and delivered by workers afterwards."""

    id = models.BigAutoField(primary_key=True)
    # Sent with every attempt, so a receiver can drop the repeats of a delivery.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="messages"
    )
    event = models.ForeignKey(PlanEvent, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=30, choices=NotificationType.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    # Attempts started (a claim counts one, so a message that kills its worker is not retried
    # for ever).
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # The worker sending it and until when; another worker sends it again once this expires.
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "outbox message"
        indexes = [
            # What delivery scans: pending messages by due time.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="plans_outbox_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at sending an outbox message, kept for the admin."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["message", "number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number}: {'ok' if self.ok else self.error or self.http_status}"


# --- Deadlines (plans/deadlines/) ---------------------------------------------------------------


class TimerKind(models.TextChoices):
    DEADLINE = "deadline", "Deadline"
    REMINDER = "reminder", "Reminder"


class DecisionTimer(models.Model):
    """A moment a worker must act on a pending decision: its deadline, or a reminder before it.

    Written in the transaction that starts the wait; fired once by one worker, in one
    transaction that both acts and sets `fired_at` (orchestration/engine/timers.py). A timer
    whose decision was taken, or whose deadline moved, fires as a no-op (`outcome` says so).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="timers")
    # The gate's key; blank for the plan's own decision.
    step_key = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=TimerKind.choices)
    fire_at = models.DateTimeField()
    # The deadline the timer is about; it acts only while that is still the one in force.
    deadline_at = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fire_at", "id"]
        indexes = [
            # What workers scan: timers not yet fired, by when they are due.
            models.Index(
                fields=["fire_at"], condition=models.Q(fired_at=None), name="plans_timer_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.step_key or 'plan'} at {self.fire_at:%Y-%m-%d %H:%M}"


# --- Slack (plans/slack/) -----------------------------------------------------------------------


class SlackSeenRequest(models.Model):
    """A signed request from Slack already acted on, kept while its timestamp is fresh enough
    to be accepted, so that a replay of it (same timestamp, same signature) is refused.

    A table rather than the cache: every server process must see it, and the unique signature
    makes the first of two racing copies the only one that counts.
    """

    signature = models.CharField(max_length=100, unique=True)
    timestamp = models.BigIntegerField()
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["seen_at"])]

    def __str__(self) -> str:
        return f"{self.timestamp} {self.signature[:12]}"


# --- Policy (plans/policy/) ---------------------------------------------------------------------


class PolicyVersion(models.Model):
    """One version of a team's policy: its ordered rules and its permissions per executor and
    role, as a JSON document (plans/policy/rules.py). The newest is in force; versions are a
    record and never changed."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="policy_versions")
    version = models.PositiveIntegerField()
    # {"rules": [...], "permissions": [...]}
    document = models.JSONField()
    actor = models.CharField(max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["team", "version"], name="plans_policy_one_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.team} policy v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RevisionImmutable(f"version {self.version} of {self.team}'s policy is final")
        super().save(*args, **kwargs)


# --- Budgets (plans/budgets/) -------------------------------------------------------------------


class CostSource(models.TextChoices):
    """Where a recorded attempt's cost came from."""

    EXECUTOR = "executor", "Reported by the executor"
    PRICING = "pricing", "From the pricing table"
    UNPRICED = "unpriced", "Unpriced (no cost, no price for the model)"


class StepUsage(models.Model):
    """What one attempt of a step consumed and cost, written with the attempt's outcome under
    the plan lock (orchestration/engine/spending.py). Never changed afterwards. A planner's call
    (plans/planning/) has no step, and no plan when the planning made none."""

    id = models.BigAutoField(primary_key=True)
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="usage_records"
    )
    step = models.ForeignKey(
        PlanStep, null=True, blank=True, on_delete=models.CASCADE, related_name="usage_records"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    attempt = models.PositiveIntegerField()
    model = models.CharField(max_length=200, blank=True)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    units = models.JSONField(default=dict, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    cost_source = models.CharField(max_length=10, choices=CostSource.choices)
    # The calendar month (UTC, "YYYY-MM") its cost counts towards.
    month = models.CharField(max_length=7)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "step usage"
        indexes = [
            models.Index(fields=["plan", "id"]),
            models.Index(fields=["team", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.step_id} attempt {self.attempt}: {self.cost}"


class Price(models.Model):
    """What a model's tokens and units cost, for one team or (team empty) for all; overrides
    PLANGATE_PRICING for that model."""

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="prices"
    )
    model = models.CharField(max_length=200)
    input_per_million = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    output_per_million = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    # Unit name -> price of one unit, e.g. {"searches": 0.01}.
    units = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["model", "team"]
        constraints = [
            models.UniqueConstraint(fields=["team", "model"], name="plans_price_one_per_team"),
            models.UniqueConstraint(
                fields=["model"], condition=models.Q(team=None), name="plans_price_one_for_all"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} ({self.team or 'all teams'})"


class TeamMonthSpend(models.Model):
    """What a team's plans spent in one calendar month (UTC), increased in the statement that
    records each attempt's usage, so that workers finishing steps at once never lose a sum."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="month_spend")
    month = models.CharField(max_length=7)
    spent = models.DecimalField(max_digits=14, decimal_places=4, default=0)

    class Meta:
        ordering = ["-month", "team"]
        verbose_name = "team monthly spend"
        verbose_name_plural = "team monthly spend"
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="plans_spend_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.team} {self.month}: {self.spent}"


# --- Telemetry (orchestration/telemetry/) -------------------------------------------------------


class PlanTrace(models.Model):
    """A plan whose run was sent as a trace span. Workers on any machine may see a plan end; the
    one whose row goes in first sends the plan's span, so each plan's span is sent once."""

    plan = models.OneToOneField(
        Plan, primary_key=True, on_delete=models.CASCADE, related_name="trace"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"trace of {self.plan_id}"


# --- Catalog (plans/catalog/) -------------------------------------------------------------------


class Action(models.Model):
    """A team's action: a named executor call with a JSON Schema for its inputs. Overrides the
    settings' action of the same name (PLANGATE_ACTIONS) for that team."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="actions")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    executor = models.CharField(max_length=100)
    input_schema = models.JSONField(default=dict)
    output_schema = models.JSONField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    timeout_seconds = models.FloatField(null=True, blank=True)
    max_attempts = models.PositiveIntegerField(null=True, blank=True)
    guardrails = models.JSONField(null=True, blank=True)
    estimated_cost = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["team", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="plans_action_one_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"
