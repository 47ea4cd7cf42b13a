"""Counting approvals towards a quorum, and checking what a submission asks for.

Called by the plan and gate services with the plan's row locked (plans/services.py,
plans/gates/services.py): they write the events and make the decision once the count is reached.
Imports only the models, so those services can use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction

from plans.access.checks import AccessDenied
from plans.models import (
    ApiToken,
    Approval,
    ApproverGroup,
    Membership,
    Plan,
    Role,
    StepApproval,
    Team,
)
from plans.validation import PlanInvalid, Problem, StepDraft, check_approval, gate_spec

# Roles whose approvals count when no approver group is named.
APPROVING_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})


class NotAnApprover(AccessDenied):
    """The person or token may not approve this plan or gate: outside its approver group, or no
    reviewer of the team. The API answers 403; the pages say why."""


class ApproverLike(Protocol):
    """Who approves (plans.services.Actor)."""

    @property
    def label(self) -> str: ...
    @property
    def user(self) -> Any: ...
    @property
    def token(self) -> ApiToken | None: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class Tally:
    """What one approval did: whether it added a row, how many count now, and whether that is
    enough."""

    added: bool
    count: int
    required: int
    # Nobody in particular decided (a deadline or a rule): it decides outright.
    outright: bool = False

    @property
    def reached(self) -> bool:
        return self.outright or self.count >= self.required


def is_person_or_token(actor: ApproverLike) -> bool:
    return actor.user is not None or actor.token is not None


def has_approved(*, plan: Plan, step_key: str, version: int, actor: ApproverLike) -> bool:
    return Approval.objects.filter(
        plan=plan, step_key=step_key, version=version, actor=actor.label
    ).exists()


def decided_by_quorum(*, plan: Plan, step_key: str, version: int) -> bool:
    """Whether approvals of people or tokens made the decision on `version` (not a deadline or a
    rule): a late approval then joins them."""
    return Approval.objects.filter(plan=plan, step_key=step_key, version=version).exists()


def approver_check(*, team: Team, group: ApproverGroup | None, actor: ApproverLike) -> str:
    """The role of a person who may approve for `group` (none: the team's reviewers), "" for a
    token. Raises NotAnApprover otherwise."""
    if actor.user is not None:
        role = (
            Membership.objects.filter(team=team, user=actor.user)
            .values_list("role", flat=True)
            .first()
        ) or ""
        name = actor.user.get_username()
        if group is not None:
            if not group.members.filter(pk=actor.user.pk).exists():
                raise NotAnApprover(
                    f"{name} is not in the approver group {group.name!r}; "
                    "only its members' approvals count"
                )
        elif role not in APPROVING_ROLES and not actor.user.is_superuser:
            raise NotAnApprover(
                f"{name} is not a reviewer or admin of team {team.name!r}; "
                "only their approvals count"
            )
        return role
    if group is not None:
        raise NotAnApprover(
            f"approvals here come from the approver group {group.name!r}, which lists people; "
            "a token cannot give one"
        )
    return ""


def approval_add(
    *,
    plan: Plan,
    step_key: str,
    version: int,
    actor: ApproverLike,
    required: int,
    group: ApproverGroup | None,
) -> Tally:
    """Count `actor`'s approval of `version` of the plan (step_key "") or of its gate.

    Called with the plan locked. A person or token counts once: approving again adds nothing. An
    actor that is neither (a deadline, a rule) decides outright and adds no row. Raises
    NotAnApprover for someone whose approval does not count here.
    """
    if not is_person_or_token(actor):
        return Tally(added=False, count=0, required=required, outright=True)
    role = approver_check(team=plan.team, group=group, actor=actor)
    approvals = Approval.objects.filter(plan=plan, step_key=step_key, version=version)
    added = False
    if not approvals.filter(actor=actor.label).exists():
        # Under the plan's row lock no other approval of this plan is being written, so the
        # check above holds; the unique index is the backstop, so an insert that races anyway
        # counts once.
        with transaction.atomic():
            _, added = Approval.objects.get_or_create(
                plan=plan,
                step_key=step_key,
                version=version,
                actor=actor.label,
                defaults={
                    "user": actor.user,
                    "token": actor.token,
                    "source": actor.source or "",
                    "role": role,
                },
            )
    return Tally(added=added, count=approvals.count(), required=required)


# --- Submission ---------------------------------------------------------------------------------


def quorum_problems(
    *,
    team: Team,
    required_approvals: int | None,
    approver_group: str | None,
    steps: Iterable[StepDraft],
) -> list[Problem]:
    """Problems with what a submission asks of its approvers: the plan's count within the team's
    limit, the named groups being the team's."""
    problems: list[Problem] = []
    limit = team.max_required_approvals
    if required_approvals is not None and not (
        isinstance(required_approvals, int) and 1 <= required_approvals <= limit
    ):
        problems.append(
            Problem(
                ("required_approvals",),
                f"must be a whole number from 1 to {limit} (the team's limit)",
            )
        )
    names = set(team.approver_groups.values_list("name", flat=True))
    known = ", ".join(sorted(names)) or "(none)"
    if approver_group is not None and approver_group not in names:
        problems.append(
            Problem(
                ("approver_group",),
                f"no approver group {approver_group!r} in team {team.name!r}; groups: {known}",
            )
        )
    for step in steps:
        if check_approval(step.approval, ()):
            continue  # the step checks list what is wrong with it
        spec = gate_spec(step.approval)
        if spec is not None and spec.group and spec.group not in names:
            problems.append(
                Problem(
                    (*step.loc, "approval", "group"),
                    f"no approver group {spec.group!r} in team {team.name!r}; groups: {known}",
                )
            )
    return problems


def step_gate_fields(team: Team, drafts: Iterable[StepDraft]) -> dict[str, dict[str, Any]]:
    """The gate columns of each step draft by key (approval, approval_group, approval_count).
    Raises PlanInvalid for a group the team does not have."""
    drafts = list(drafts)
    problems = quorum_problems(
        team=team, required_approvals=None, approver_group=None, steps=drafts
    )
    if problems:
        raise PlanInvalid(problems)
    groups = {g.name: g for g in team.approver_groups.all()}
    fields: dict[str, dict[str, Any]] = {}
    for d in drafts:
        spec = gate_spec(d.approval)
        if spec is None:
            fields[d.key] = {"approval": StepApproval.NONE}
        else:
            fields[d.key] = {
                "approval": StepApproval.REQUIRED,
                "approval_group": groups.get(spec.group) if spec.group else None,
                "approval_count": spec.count,
            }
    return fields


def group_named(team: Team, name: str | None) -> ApproverGroup | None:
    if not name:
        return None
    return team.approver_groups.filter(name=name).first()
