"""Reads of a quorum's progress: who approved the version on screen, and how many more it needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from plans.actors import actor_label
from plans.models import Approval, ApproverGroup, Plan, PlanStep, StepApproval
from plans.states import PlanStatus

# A plan's approvals are of the version under review; once approved, of the version approved
# (a running plan's version may go up when it asks for help, which is no new review).
UNDER_REVIEW = frozenset({PlanStatus.DRAFT, PlanStatus.CHANGES_REQUESTED})


@dataclass(frozen=True)
class Quorum:
    """The approvals of one version of a plan (or of one gate) against what it needs."""

    required: int
    by: tuple[str, ...]
    # The approver group's name; None: the team's reviewers and admins.
    group: str | None
    version: int

    @property
    def count(self) -> int:
        return len(self.by)

    @property
    def needed(self) -> int:
        return max(0, self.required - self.count)

    def names(self, tokens: Mapping[str, str] | None = None) -> list[str]:
        """Who approved, named as every page names an actor: "alice (reviewer)", "token
        my-agent (pgt_ab12…)" (plans/actors.py); `tokens` names the team's tokens by prefix."""
        return [actor_label(label, tokens) for label in self.by]

    @property
    def approvers(self) -> str:
        return self.group or "reviewers"

    @property
    def summary(self) -> str:
        """ "1 of 2 approvals, by alice (reviewer); needs 1 more from finance"."""
        return self.summary_for(None)

    def summary_for(self, tokens: Mapping[str, str] | None) -> str:
        """The summary, naming tokens by their names in `tokens` (by prefix)."""
        text = f"{self.count} of {self.required} approval{'s' if self.required != 1 else ''}"
        if self.by:
            text += f", by {', '.join(self.names(tokens))}"
        if self.needed:
            text += f"; needs {self.needed} more from {self.approvers}"
        return text

    def has(self, label: str) -> bool:
        return label in self.by

    def as_dict(self) -> dict[str, Any]:
        return {
            "required": self.required,
            "count": self.count,
            "by": list(self.by),
            "group": self.group,
            "needed": self.needed,
        }


def quorum_version(plan: Plan) -> int:
    if plan.status in UNDER_REVIEW or plan.approved_version is None:
        return plan.version
    return plan.approved_version


def _group_name(group_id: int | None, groups: dict[int, str]) -> str | None:
    return groups.get(group_id) if group_id is not None else None


def plan_quorum(plan: Plan, *, version: int | None = None) -> Quorum:
    """The plan's approvals of `version` (by default the one under review, or approved),
    oldest first."""
    if version is None or plan.status not in UNDER_REVIEW:
        version = quorum_version(plan)
    by = Approval.objects.filter(plan=plan, step_key="", version=version).values_list(
        "actor", flat=True
    )
    group = None
    if plan.approver_group_id is not None:
        group = (
            ApproverGroup.objects.filter(pk=plan.approver_group_id)
            .values_list("name", flat=True)
            .first()
        )
    return Quorum(
        required=plan.required_approvals, by=tuple(by.order_by("id")), group=group, version=version
    )


def gate_quorums(plan: Plan, steps: Iterable[PlanStep]) -> dict[str, Quorum]:
    """Each gated step's approvals at the plan's current version, by key. Two queries."""
    gated = [s for s in steps if s.approval == StepApproval.REQUIRED]
    if not gated:
        return {}
    by: dict[str, list[str]] = defaultdict(list)
    for key, actor in (
        Approval.objects.filter(plan=plan, version=plan.version)
        .exclude(step_key="")
        .order_by("id")
        .values_list("step_key", "actor")
    ):
        by[key].append(actor)
    group_ids = {s.approval_group_id for s in gated} | {plan.approver_group_id}
    groups = dict(
        ApproverGroup.objects.filter(pk__in=[g for g in group_ids if g]).values_list("pk", "name")
    )
    return {
        s.key: Quorum(
            required=s.approval_count,
            by=tuple(by.get(s.key, [])),
            group=_group_name(s.approval_group_id or plan.approver_group_id, groups),
            version=plan.version,
        )
        for s in gated
    }


def quorums_for_items(items: Iterable[tuple[Any, str, int]]) -> dict[tuple[str, str], Quorum]:
    """The quorum of each (plan id, step key or "", version) the inbox lists, keyed by
    (str(plan id), step key). Three queries however many items."""
    wanted = list(items)
    if not wanted:
        return {}
    plan_ids = {pid for pid, _, _ in wanted}
    plans = {
        p.pk: p
        for p in Plan.objects.filter(pk__in=plan_ids).only(
            "pk", "required_approvals", "approver_group_id"
        )
    }
    gate_keys = {(pid, key) for pid, key, _ in wanted if key}
    steps: dict[tuple[Any, str], tuple[int, int | None]] = {}
    if gate_keys:
        for pid, key, count, gate_group in PlanStep.objects.filter(
            plan_id__in={pid for pid, _ in gate_keys}, key__in={key for _, key in gate_keys}
        ).values_list("plan_id", "key", "approval_count", "approval_group_id"):
            steps[(pid, key)] = (count, gate_group)
    by: dict[tuple[Any, str, int], list[str]] = defaultdict(list)
    for pid, key, version, actor in (
        Approval.objects.filter(plan_id__in=plan_ids)
        .order_by("id")
        .values_list("plan_id", "step_key", "version", "actor")
    ):
        by[(pid, key, version)].append(actor)
    group_ids = {p.approver_group_id for p in plans.values()} | {g for _, g in steps.values()}
    groups = dict(
        ApproverGroup.objects.filter(pk__in=[g for g in group_ids if g]).values_list("pk", "name")
    )
    found: dict[tuple[str, str], Quorum] = {}
    for pid, key, version in wanted:
        plan = plans.get(pid)
        if plan is None:
            continue
        required: int = plan.required_approvals
        group_id: int | None = plan.approver_group_id
        if key:
            count, step_group = steps.get((pid, key), (1, None))
            required, group_id = count, step_group or group_id
        found[(str(pid), key)] = Quorum(
            required=required,
            by=tuple(by.get((pid, key, version), [])),
            group=_group_name(group_id, groups),
            version=version,
        )
    return found
