"""What a decision deadline is as submitted: its parsing and the problems with it, and what
`on_timeout` may say. Pure: no database, so models, validation and the API can all use it.

A deadline is given as seconds (a positive number: from now for a plan, from when it starts
waiting for a gate) or as an ISO 8601 time with a time zone, in the future.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models

# A deadline further away than this is a mistake (and would overflow some databases' times).
MAX_DEADLINE_SECONDS = 366 * 24 * 3600
TIMEOUT_REASON = "decision deadline passed"


class OnTimeout(models.TextChoices):
    CANCEL = "cancel", "Cancel the plan"
    SKIP = "skip", "Skip the gate"
    ESCALATE = "escalate", "Escalate to the next approver group"
    APPROVE = "approve", "Approve"


PLAN_ON_TIMEOUT = (OnTimeout.CANCEL, OnTimeout.ESCALATE, OnTimeout.APPROVE)
GATE_ON_TIMEOUT = (OnTimeout.CANCEL, OnTimeout.SKIP, OnTimeout.ESCALATE, OnTimeout.APPROVE)


@dataclass(frozen=True)
class Deadline:
    """A deadline as submitted: relative (`seconds`) or absolute (`until`), exactly one."""

    seconds: float | None = None
    until: datetime | None = None

    def at(self, start: datetime) -> datetime:
        """The deadline in force for a wait that starts at `start`."""
        if self.until is not None:
            return self.until
        assert self.seconds is not None  # noqa: S101 - one of the two is always set
        return start + timedelta(seconds=self.seconds)

    def as_json(self) -> float | str:
        """As a submission gives it, for revision content."""
        if self.until is not None:
            return self.until.isoformat()
        assert self.seconds is not None  # noqa: S101 - one of the two is always set
        return int(self.seconds) if float(self.seconds).is_integer() else self.seconds


class DeadlineInvalid(ValueError):
    """A deadline that cannot be used; the message says why."""


def parse_deadline(value: Any, *, now: datetime) -> Deadline:
    """A submitted `decision_deadline` as a Deadline. Raises DeadlineInvalid."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DeadlineInvalid(
            "give seconds (a positive number) or an ISO 8601 time with a time zone"
        )
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            raise DeadlineInvalid("seconds must be a positive number")
        if value > MAX_DEADLINE_SECONDS:
            raise DeadlineInvalid(f"at most {MAX_DEADLINE_SECONDS} seconds (366 days)")
        return Deadline(seconds=float(value))
    try:
        until = datetime.fromisoformat(value.strip())
    except ValueError:
        raise DeadlineInvalid(
            f"{value!r} is neither seconds nor an ISO 8601 time (2030-01-31T14:00:00+00:00)"
        ) from None
    if until.tzinfo is None or until.utcoffset() is None:
        raise DeadlineInvalid("the time needs a time zone (Z or +01:00)")
    if until <= now:
        raise DeadlineInvalid("the time has passed; give one in the future")
    if until - now > timedelta(seconds=MAX_DEADLINE_SECONDS):
        raise DeadlineInvalid("at most 366 days ahead")
    return Deadline(until=until)


def check_on_timeout(value: Any, *, gate: bool, allow_approve: bool | None = None) -> str | None:
    """The problem with an `on_timeout` value, or None. `allow_approve` None: not known yet
    (checked without the team)."""
    allowed = GATE_ON_TIMEOUT if gate else PLAN_ON_TIMEOUT
    if value not in allowed:
        return "must be " + ", ".join(f"'{v}'" for v in allowed)
    if value == OnTimeout.APPROVE and allow_approve is False:
        return (
            "'approve' is not allowed by the team's settings "
            "(allow_approve_on_timeout is off); ask a team admin, or use 'cancel' or 'escalate'"
        )
    return None
