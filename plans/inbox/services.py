"""Batch approval from the inbox: many approvals in one request, each bound to its own version.

Each item (a plan, or a gated step) is approved by its own service in a transaction of its
own, so an item that is refused (its plan changed since the reviewer saw it, or someone else
decided first) rolls back nothing of the others: the rest go through and the refused ones
are listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from plans import services
from plans.gates import services as gates
from plans.models import Plan
from plans.states import DomainError, StaleVersion


class Outcome:
    APPROVED = "approved"
    REFUSED = "refused"


class Reason:
    STALE = "stale"  # the plan changed since the version the reviewer saw
    STATE = "state"  # its status no longer allows it (approved, cancelled...)
    NOT_FOUND = "not_found"  # not there, or another team's


@dataclass(frozen=True)
class Approval:
    """One item of a batch: the plan (and, for a gate, the step) and the version shown."""

    plan_id: UUID
    version: int
    step_key: str = ""


@dataclass(frozen=True)
class ApprovalResult:
    plan_id: UUID
    version: int
    outcome: str
    title: str = ""
    step_key: str = ""
    reason: str = ""
    detail: str = ""
    current_version: int | None = None
    status: str = ""

    @property
    def approved(self) -> bool:
        return self.outcome == Outcome.APPROVED


def inbox_approve(
    *, team_ids: Iterable[int], actor: services.Actor, items: list[Approval]
) -> list[ApprovalResult]:
    """Approve each item as of the version it names, in order; returns one result per item.

    A plan outside `team_ids` (the teams the actor acts for) is refused as not found, like one
    that does not exist. One item's refusal never raises: it is that item's result. Deliberately
    not one transaction (see the module docstring): each approval commits on its own.
    """
    found = {
        p.pk: p
        for p in Plan.objects.filter(
            team_id__in=list(team_ids), pk__in=[i.plan_id for i in items]
        ).select_related("team")
    }
    return [_approve_one(found.get(item.plan_id), actor, item) for item in items]


def _refused(item: Approval, plan: Plan | None, reason: str, detail: str) -> ApprovalResult:
    current = None
    if plan is not None:
        # Read after the refusal, outside the failed transaction: what the plan is now.
        current = Plan.objects.values("status", "version").get(pk=plan.pk)
    return ApprovalResult(
        plan_id=item.plan_id,
        version=item.version,
        outcome=Outcome.REFUSED,
        title=plan.display_title if plan is not None else "",
        step_key=item.step_key,
        reason=reason,
        detail=detail,
        current_version=current["version"] if current else None,
        status=current["status"] if current else "",
    )


def _approve_one(plan: Plan | None, actor: services.Actor, item: Approval) -> ApprovalResult:
    if plan is None:
        return _refused(item, None, Reason.NOT_FOUND, "plan not found")
    try:
        # Its own transaction, which locks the plan row and checks the version under the lock:
        # a change committed after the reviewer opened the inbox is caught here, not missed.
        if item.step_key:
            # A gate: approving it lets that step run, as on the plan page.
            gates.step_approve(plan=plan, key=item.step_key, actor=actor, version=item.version)
            approved = plan
            approved.refresh_from_db()
        else:
            approved = services.plan_approve(plan=plan, actor=actor, version=item.version)
    except StaleVersion as exc:
        return _refused(
            item,
            plan,
            Reason.STALE,
            f"changed since you opened the inbox (version {item.version} → {exc.current_version})",
        )
    except DomainError as exc:
        return _refused(item, plan, Reason.STATE, str(exc))
    return ApprovalResult(
        plan_id=plan.pk,
        version=item.version,
        outcome=Outcome.APPROVED,
        step_key=item.step_key,
        title=plan.display_title,
        current_version=approved.version,
        status=approved.status,
    )
