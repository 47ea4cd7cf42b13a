"""Email: a text and an HTML part rendered from templates/notifications/, sent through Django's
email backend (EMAIL_BACKEND)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from plans.models import NotificationType, OutboxMessage
from plans.notifications import Result
from plans.notifications.payload import confirm_url

# What happened, as the subject and the first line say it.
HEADLINES: dict[str, str] = {
    NotificationType.PLAN_WAITING: "Waiting for your decision",
    NotificationType.GATE_WAITING: "A step waits for your approval",
    NotificationType.PLAN_REVISED: "Plan revised",
    NotificationType.DECISION_ESCALATED: "Decision escalated to you",
    NotificationType.DEADLINE_SOON: "Decision deadline soon",
    NotificationType.DECISION_TIMED_OUT: "Decision deadline passed",
    NotificationType.PLAN_COMPLETED: "Plan completed",
    NotificationType.PLAN_FAILED: "Plan failed",
}
# Subjects stay on one line and short enough for a mail client's list.
SUBJECT_TITLE_CHARS = 120


def recipient(message: OutboxMessage) -> str:
    sub = message.subscription
    if sub.target:
        return sub.target
    return sub.user.email if sub.user is not None else ""


def render(message: OutboxMessage) -> tuple[str, str, str]:
    """The subject, text body and HTML body of the message."""
    payload = message.payload
    plan = payload["plan"]
    headline = HEADLINES.get(message.type, message.type)
    title = " ".join(str(plan["title"]).split())[:SUBJECT_TITLE_CHARS]
    context: dict[str, Any] = {
        "headline": headline,
        "payload": payload,
        "plan": plan,
        "step_key": payload.get("step_key", ""),
        "data": payload.get("data") or {},
    }
    if message.type == NotificationType.PLAN_WAITING and plan["status"] == "draft":
        context["approve_url"] = confirm_url(plan["id"], "approve", plan["version"])
        context["cancel_url"] = confirm_url(plan["id"], "cancel", plan["version"])
    subject = f"[Plangate] {headline}: {title}"
    text = render_to_string("notifications/email.txt", context)
    html = render_to_string("notifications/email.html", context)
    return subject, text, html


def send(message: OutboxMessage) -> Result:
    to = recipient(message)
    if not to:
        return Result(ok=False, error="no address: the subscription's member has no email")
    subject, text, html = render(message)
    mail = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers={"Plangate-Delivery": str(message.delivery_id)},
    )
    mail.attach_alternative(html, "text/html")
    mail.send()
    return Result(ok=True)
