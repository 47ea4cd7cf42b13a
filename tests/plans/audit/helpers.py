"""Decisions of every kind of source and role, made through the services, and events moved in
time the way the inbox helpers move them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from plans import services
from plans.discussion.services import comment_add, plan_request_changes
from plans.models import (
    ApiToken,
    DecisionSource,
    Membership,
    Plan,
    PlanEvent,
    Role,
    Scope,
    Team,
)
from tests.factories import UserFactory, step, submit_plan


def member(team: Team, username: str, role: str = Role.REVIEWER) -> Any:
    user = UserFactory(username=username)
    Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return user


def at(event: PlanEvent, when: datetime) -> PlanEvent:
    PlanEvent.objects.filter(pk=event.pk).update(created_at=when)
    event.refresh_from_db()
    return event


def last_event(plan: Plan, kind: str) -> PlanEvent:
    return PlanEvent.objects.filter(plan=plan, kind=kind).latest("id")


@dataclass
class Decided:
    approved: Plan
    cancelled: Plan
    skipped: Plan
    sent_back: Plan
    token: ApiToken


def decisions(team: Team) -> Decided:
    """Four plans decided four ways: approved by a token, cancelled by an admin in the browser,
    a step skipped by a reviewer from Slack, changes requested by the admin; then the skipped
    plan's deadline passes (source timeout). Also events that are no decisions: submissions, a
    comment, a plan failed by its worker."""
    admin = member(team, "bob", Role.ADMIN)
    reviewer = member(team, "carol", Role.REVIEWER)
    token, _ = services.token_create(team=team, name="ci")
    # New tokens submit and read; this one decides too.
    token.scopes = [*token.scopes, Scope.DECIDE.value]
    token.save(update_fields=["scopes"])

    approved = submit_plan(team, title="Deploy v2")
    services.plan_approve(plan=approved, actor=services.Actor.for_token(token), version=1)

    cancelled = submit_plan(team, title="Old import")
    services.plan_cancel(
        plan=cancelled, actor=services.Actor.for_user(admin), reason="duplicate of #12"
    )

    skipped = submit_plan(team, [step("a"), step("b")], title="Nightly report")
    services.step_skip(
        plan=skipped,
        key="b",
        actor=services.Actor.for_user(reviewer, source=DecisionSource.SLACK),
        reason="not tonight",
    )
    PlanEvent.objects.create(
        plan=skipped,
        kind="decision.timed_out",
        actor="system",
        source=DecisionSource.TIMEOUT,
        data={"version": 2, "on_timeout": "cancel"},
    )

    sent_back = submit_plan(team, title="Migrate billing")
    plan_request_changes(
        plan=sent_back,
        actor=services.Actor.for_user(admin),
        version=1,
        comment="Add a rollback step",
    )
    comment_add(plan=approved, actor=services.Actor.for_user(reviewer), body="Looks fine")
    PlanEvent.objects.create(
        plan=approved, kind="plan.failed", actor="worker:host:1", data={"failed": ["a"]}
    )
    return Decided(approved, cancelled, skipped, sent_back, token)


def event(plan: Plan, kind: str, when: datetime, *, step_key: str = "", **fields: Any) -> PlanEvent:
    """An event of `plan` written at `when`."""
    made = PlanEvent.objects.create(
        plan=plan, kind=kind, step_key=step_key, actor=fields.pop("actor", "user:bob"), **fields
    )
    return at(made, when)


def submitted_at(team: Team, when: datetime, title: str = "A plan", **fields: Any) -> Plan:
    """A draft plan whose submission happened at `when`."""
    plan = submit_plan(team, title=title, **fields)
    at(last_event(plan, "plan.created"), when)
    return plan
