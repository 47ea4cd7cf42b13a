"""A click on a decision button in Slack, turned into a decision.

Who clicked is found by email: Slack's `users.info` gives the profile's email, and the
Plangate user with that email (case-insensitive) in the plan's team decides, through the same
services as the pages and the API, as `Actor.for_user(user, source="slack")`. The first
decision wins: a click on a plan or gate that is no longer waiting (decided elsewhere, a newer
version, cancelled) is answered with what happened instead, and decides nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from plans.access.checks import AccessDenied
from plans.discussion.services import plan_request_changes
from plans.gates.services import step_approve
from plans.models import DecisionSource, EventKind, Plan, PlanStep, Team
from plans.services import Actor, plan_approve
from plans.slack import client
from plans.slack.messages import APPROVE_ACTION, REQUEST_CHANGES_ACTION, ButtonValue, escape
from plans.states import DomainError, PlanStatus

logger = logging.getLogger(__name__)

DECISION_ACTIONS = frozenset({APPROVE_ACTION, REQUEST_CHANGES_ACTION})
PLAN_APPROVED_STATUSES = frozenset(
    {
        PlanStatus.APPROVED,
        PlanStatus.EXECUTING,
        PlanStatus.NEEDS_ATTENTION,
        PlanStatus.COMPLETED,
        PlanStatus.FAILED,
    }
)


class InteractionInvalid(ValueError):
    """A signed request whose body is not an interaction Plangate can read; `loc` says where."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


@dataclass(frozen=True)
class Click:
    """A click on one of Plangate's decision buttons."""

    action_id: str
    value: ButtonValue
    slack_user: str
    channel: str
    message_ts: str


@dataclass(frozen=True)
class Outcome:
    """What the person who clicked is told, and whether a decision was made."""

    text: str
    decided: bool


def click_parse(body: bytes) -> Click | None:
    """The decision button click in a form-encoded `payload=<json>` body; None for anything
    else Slack sends (a click on the Open button, another kind of interaction).

    Raises InteractionInvalid when the body holds no readable payload or a decision button
    carries a value Plangate did not write.
    """
    fields = parse_qs(body.decode("utf-8", errors="replace"))
    raw = fields.get("payload")
    if not raw:
        raise InteractionInvalid(("body", "payload"), "no payload field in the form body")
    try:
        payload = json.loads(raw[0])
    except ValueError:
        raise InteractionInvalid(("body", "payload"), "payload is not JSON") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return None
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        return None
    action = actions[0]
    if action.get("action_id") not in DECISION_ACTIONS:
        return None
    try:
        value = ButtonValue.decode(str(action.get("value", "")))
    except ValueError as exc:
        loc = ("body", "payload", "actions", 0, "value")
        raise InteractionInvalid(loc, f"not a Plangate button value: {exc}") from None
    user = _text(payload, "user", "id")
    channel = _text(payload, "channel", "id") or _text(payload, "container", "channel_id")
    message_ts = _text(payload, "message", "ts") or _text(payload, "container", "message_ts")
    if not user:
        raise InteractionInvalid(("body", "payload", "user", "id"), "no Slack user")
    return Click(
        action_id=str(action["action_id"]),
        value=value,
        slack_user=user,
        channel=channel,
        message_ts=message_ts,
    )


def _text(payload: dict[str, Any], key: str, field: str) -> str:
    part = payload.get(key)
    value = part.get(field) if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""


def click_handle(click: Click) -> Outcome:
    """Decide as the clicking person, then answer them in Slack.

    A decision is announced in the message's thread for everyone in the channel; a refusal
    (unknown person, a viewer, a plan that moved on) goes only to the person who clicked. A
    failure to post the answer is logged: the decision stands either way.
    """
    outcome = _decide(click)
    if not click.channel:
        return outcome
    try:
        if outcome.decided:
            client.post_message(click.channel, text=outcome.text, thread_ts=click.message_ts)
        else:
            client.post_ephemeral(
                click.channel, user=click.slack_user, text=outcome.text, thread_ts=click.message_ts
            )
    except client.SlackApiError as exc:
        logger.warning("could not answer a Slack click on plan %s: %s", click.value.plan_id, exc)
    return outcome


def _decide(click: Click) -> Outcome:
    value = click.value
    try:
        plan = Plan.objects.select_related("team").get(pk=value.plan_id)
    except (Plan.DoesNotExist, ValidationError):
        return Outcome("This plan no longer exists in Plangate: nothing was decided.", False)
    try:
        email = client.user_email(click.slack_user)
    except client.SlackApiError as exc:
        return Outcome(f"Plangate could not look up your Slack account ({exc.error}).", False)
    user = member_by_email(plan.team, email)
    if user is None:
        shown = escape(email) if email else "no email visible to Plangate"
        return Outcome(
            f"Your Slack account ({shown}) is not a member of {escape(plan.team.name)} in "
            "Plangate: nothing was decided.",
            False,
        )
    actor = Actor.for_user(user, source=DecisionSource.SLACK)
    name = escape(user.get_username())
    if not value.step_key and plan.status != PlanStatus.DRAFT:
        # The first decision wins. A click on a plan no longer waiting is answered with what
        # became of it; the services would count a late approval as an extra one (they cannot
        # tell it from one that lost the race for the last place, and record both).
        return Outcome(already_decided(plan, value), False)
    try:
        if click.action_id == REQUEST_CHANGES_ACTION:
            plan_request_changes(
                plan=plan,
                actor=actor,
                version=value.version,
                # Slack's button carries no text: the comment says where the request came from.
                comment=f"Changes requested from Slack by {user.get_username()}.",
            )
            return Outcome(f"Changes requested by {name} (version {value.version})", True)
        if value.step_key:
            step_approve(plan=plan, key=value.step_key, actor=actor, version=value.version)
            gate = escape(value.step_key)
            return Outcome(f"Gate `{gate}` approved by {name} (version {value.version})", True)
        plan_approve(plan=plan, actor=actor, version=value.version)
    except PlanStep.DoesNotExist:
        return Outcome("This plan has no such gate any more: nothing was decided.", False)
    except (PermissionDenied, AccessDenied) as exc:
        # Roles, scopes and the separation of duties, checked by the service as for any
        # decision.
        return Outcome(f"{escape(str(exc))}: nothing was decided.", False)
    except DomainError as exc:
        # Another decision came first (or the plan changed): say what happened instead.
        return Outcome(already_decided(plan, value, refusal=str(exc)), False)
    plan.refresh_from_db(fields=["status", "approved_by"])
    if plan.status == PlanStatus.DRAFT:
        # A plan that needs more than one approval waits for the others.
        return Outcome(
            f"Approval by {name} recorded (version {value.version}); more approvals needed", True
        )
    if plan.approved_by_id != user.pk:
        # Lost the race for the last place: the approval is on record, but another person's
        # started the plan. The first decision is the one the thread hears of.
        return Outcome(already_decided(plan, value), False)
    return Outcome(f"Approved by {name} (version {value.version})", True)


def member_by_email(team: Team, email: str) -> Any:
    """The team's member whose account has this email (case-insensitive); None if there is no
    such member, or more than one (no guessing who clicked)."""
    if not email:
        return None
    users = list(get_user_model().objects.filter(email__iexact=email, memberships__team=team)[:2])
    return users[0] if len(users) == 1 else None


def already_decided(plan: Plan, value: ButtonValue, *, refusal: str = "") -> str:
    """What became of the plan (or gate) a late click was about, for the person who clicked;
    `refusal`, the service's own reason, when nothing more telling is known."""
    plan.refresh_from_db()
    if value.step_key:
        return _gate_already(plan, value)
    if plan.status in PLAN_APPROVED_STATUSES and plan.approved_at is not None:
        who = _who(plan, EventKind.PLAN_APPROVED)
        return (
            f"Already approved by {who} at {_when(plan.approved_at)} "
            f"(version {plan.approved_version}): nothing more was decided."
        )
    if plan.status == PlanStatus.CANCELLED:
        event = plan.events.filter(kind=EventKind.PLAN_CANCELLED).order_by("-id").first()
        if event is not None:
            return (
                f"Already cancelled by {_name(event.actor)} at {_when(event.created_at)}: "
                "nothing was decided."
            )
        return "The plan was cancelled: nothing was decided."
    if plan.version != value.version:
        return (
            f"The plan changed since version {value.version}: open it to review version "
            f"{plan.version}. Nothing was decided."
        )
    if plan.status == PlanStatus.CHANGES_REQUESTED:
        event = plan.events.filter(kind=EventKind.PLAN_CHANGES_REQUESTED).order_by("-id").first()
        if event is not None:
            return (
                f"Changes already requested by {_name(event.actor)} at "
                f"{_when(event.created_at)}: nothing more was decided."
            )
    if refusal:
        return f"{escape(refusal)}: nothing was decided."
    return f"The plan is {plan.get_status_display().lower()}: nothing was decided."


def _gate_already(plan: Plan, value: ButtonValue) -> str:
    gate = escape(value.step_key)
    step = plan.steps.filter(key=value.step_key).first()
    if step is None:
        return "This plan has no such gate any more: nothing was decided."
    if step.gate_approved_at is not None:
        return (
            f"Gate `{gate}` already approved by {_name(step.gate_approved_by)} at "
            f"{_when(step.gate_approved_at)}: nothing more was decided."
        )
    skipped = plan.events.filter(kind=EventKind.STEP_SKIPPED, step_key=value.step_key).last()
    if skipped is not None:
        return (
            f"Gate `{gate}` already skipped by {_name(skipped.actor)} at "
            f"{_when(skipped.created_at)}: nothing was decided."
        )
    if plan.version != value.version:
        return (
            f"The plan changed since version {value.version}: open it to review version "
            f"{plan.version}. Nothing was decided."
        )
    return (
        f"Gate `{gate}` is {step.get_status_display().lower()} and the plan "
        f"{plan.get_status_display().lower()}: nothing was decided."
    )


def _who(plan: Plan, kind: str) -> str:
    event = plan.events.filter(kind=kind).order_by("-id").first()
    if event is not None:
        return _name(event.actor)
    return escape(plan.approved_by.get_username()) if plan.approved_by else "someone"


def _name(label: str) -> str:
    # Event labels are "user:alice", "token:pg_ab12", "system": people by their name.
    kind, _, rest = label.partition(":")
    if kind == "user" and rest:
        return escape(rest)
    if kind == "token" and rest:
        return f"API token {escape(rest)}"
    return escape(label)


def _when(at: datetime) -> str:
    at = at.astimezone(UTC)
    if at.date() == timezone.now().astimezone(UTC).date():
        return at.strftime("%H:%M UTC")
    return at.strftime("%Y-%m-%d %H:%M UTC")
