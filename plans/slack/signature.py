"""Is this request from Slack? Its signature, checked as Slack documents it.

Slack signs each request with the app's signing secret: `X-Slack-Signature` is `v0=` and the
hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`. A request whose timestamp is
more than five minutes off is refused, so a captured request cannot be sent again later; one
sent again within those five minutes is refused by the record of signatures already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans.models import SlackSeenRequest

VERSION = "v0"
# Slack's own window: older (or later) requests are refused.
MAX_AGE_SECONDS = 5 * 60
SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"


class BadSignature(Exception):
    """The request cannot be shown to come from Slack (or came before); the message says why."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Slack sends for `body` at `timestamp`: `v0=<hex HMAC-SHA256>`."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(
    *, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None
) -> int:
    """Check a request's signature and freshness; its timestamp if good.

    Raises BadSignature when no signing secret is set, a header is missing, the timestamp is
    not a number or more than five minutes away from now, or the signature does not match.
    Does not look at replays: `remember` does, once the signature is known to be good.
    """
    secret = settings.PLANGATE_SLACK_SIGNING_SECRET
    if not secret:
        raise BadSignature("Slack requests are not accepted: no signing secret is set")
    if not timestamp or not signature:
        raise BadSignature(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER} is not a Unix time") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > MAX_AGE_SECONDS:
        raise BadSignature("request timestamp is more than 5 minutes from now")
    expected = sign(secret, timestamp, body)
    # Constant time: how much of a guess matched must not show in how long the refusal took.
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise BadSignature("signature does not match")
    return sent_at


def remember(*, timestamp: int, signature: str) -> None:
    """Record a verified request; raises BadSignature if it was seen before (a replay).

    Records older than the window are dropped here: their requests are refused by their
    timestamp anyway.
    """
    now = timezone.now()
    SlackSeenRequest.objects.filter(
        seen_at__lt=now - timedelta(seconds=2 * MAX_AGE_SECONDS)
    ).delete()
    try:
        # Its own savepoint: the unique signature settles which of two racing copies wins,
        # and the loser's failed insert must not spoil an enclosing transaction.
        with transaction.atomic():
            SlackSeenRequest.objects.create(signature=signature, timestamp=timestamp)
    except IntegrityError:
        raise BadSignature("request already received (replay)") from None
