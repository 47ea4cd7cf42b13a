"""Rows the inbox lists, made directly: the flows that set these statuses are built elsewhere."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from plans import services
from plans.discussion.services import plan_request_changes
from plans.models import Plan, PlanEvent, PlanStep, Team
from tests.factories import approve, step, submit_plan


def ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


def draft(team: Team, title: str, *, created: datetime | None = None, **fields: Any) -> Plan:
    plan = submit_plan(team, title=title, **fields)
    if created is not None:
        Plan.objects.filter(pk=plan.pk).update(created_at=created)
        PlanEvent.objects.filter(plan=plan).update(created_at=created)
    plan.refresh_from_db()
    return plan


def revise(plan: Plan, *, at: datetime | None = None) -> Plan:
    """Raise the plan's version the way a reviewer-visible change does (an added artifact)."""
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="More notes")
    )
    if at is not None:
        PlanEvent.objects.filter(plan=plan, kind="artifact.added").update(created_at=at)
    plan.refresh_from_db()
    return plan


def gate(
    team: Team, title: str, *, since: datetime | None = None, started: datetime | None = None
) -> Plan:
    """An executing plan whose step "deploy" waits for approval, since `since` (by its event)."""
    plan = submit_plan(team, [step("build"), step("deploy", "build")], title=title)
    approve(plan)
    Plan.objects.filter(pk=plan.pk).update(status="executing", started_at=started or timezone.now())
    PlanStep.objects.filter(plan=plan, key="build").update(
        status="completed", finished_at=started or timezone.now()
    )
    PlanStep.objects.filter(plan=plan, key="deploy").update(
        status="awaiting_approval", waiting_on=0
    )
    if since is not None:
        event = PlanEvent.objects.create(
            plan=plan, kind="step.awaiting_approval", step_key="deploy", actor="system"
        )
        PlanEvent.objects.filter(pk=event.pk).update(created_at=since)
    plan.refresh_from_db()
    return plan


def needing_attention(team: Team, title: str, *, since: datetime) -> Plan:
    plan = submit_plan(team, title=title)
    approve(plan)
    Plan.objects.filter(pk=plan.pk).update(status="needs_attention")
    event = PlanEvent.objects.create(plan=plan, kind="plan.needs_attention", actor="system")
    PlanEvent.objects.filter(pk=event.pk).update(created_at=since)
    plan.refresh_from_db()
    return plan


def changes_requested(
    plan: Plan,
    by: Any,
    comment: str = "Use the EU figures.",
    *,
    at: datetime | None = None,
    **step_comments: str,
) -> Plan:
    """The reviewer `by` sends the draft back, asking `comment` (and per step), as of `at`."""
    plan_request_changes(
        plan=plan,
        actor=services.Actor.for_user(by),
        version=plan.version,
        comment=comment,
        step_comments=step_comments,
    )
    if at is not None:
        PlanEvent.objects.filter(plan=plan, kind="plan.changes_requested").update(created_at=at)
    plan.refresh_from_db()
    return plan
