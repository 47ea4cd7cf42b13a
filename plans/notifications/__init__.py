"""Notifications: who hears of what, through which channel, and the outbox that carries it.

A message per (subscription, event) is written in the transaction of the event it announces
(services.notifications_enqueue), so nothing is announced for a change that rolled back and
nothing is lost if the process dies before sending. Workers deliver it afterwards
(orchestration/engine/outbox.py), retrying with backoff.
"""

from __future__ import annotations

from dataclasses import dataclass


class DeliveryFailed(Exception):
    """A channel could not deliver a message; the attempt is recorded as failed and retried."""


@dataclass(frozen=True)
class Result:
    """How an attempt went: ok, or the error (and the HTTP status, if there was an answer)."""

    ok: bool
    http_status: int | None = None
    error: str = ""
