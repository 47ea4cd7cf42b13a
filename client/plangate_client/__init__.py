"""Plangate's Python client: submit plans for human sign-off, wait for the decision and the end,
follow a plan's events.

    from plangate_client import Plangate

    with Plangate("http://127.0.0.1:8000", token="pgt_...") as pg:
        plan = pg.submit({...})
        decided = pg.wait_for_decision(plan["id"])
"""

from __future__ import annotations

from plangate_client._async import AsyncPlangate
from plangate_client._sync import Plangate
from plangate_client.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PlangateError,
    Problem,
    ServerError,
    StreamBroken,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from plangate_client.types import (
    Event,
    ParsedInputs,
    Plan,
    PlanPage,
    Revision,
    Step,
    Until,
    WaitResult,
)

__all__ = [
    "AsyncPlangate",
    "Conflict",
    "Event",
    "Forbidden",
    "NotFound",
    "ParsedInputs",
    "PayloadTooLarge",
    "Plan",
    "PlanPage",
    "Plangate",
    "PlangateError",
    "Problem",
    "Revision",
    "ServerError",
    "Step",
    "StreamBroken",
    "Unauthorized",
    "Unavailable",
    "Until",
    "ValidationFailed",
    "WaitResult",
]
