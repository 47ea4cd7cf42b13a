"""OpenTelemetry traces of plan runs: a span per step attempt and a span per plan.

Off unless settings.PLANGATE_TRACING (true when OTEL_EXPORTER_OTLP_ENDPOINT is set): then no
provider is made, and every function here returns after one check of a module global.

How a plan's trace is put together. A plan's steps run on any number of workers, on any number
of machines, and no process sees a plan from start to end, so no process can hold the plan's
span open. Instead the ids are derived from the plan: the trace id is the plan's UUID (128 bits),
and the plan span's id is a hash of it. Each attempt span, in whatever worker, names that span as
its parent, so they all land in one trace under the plan's span. The plan span itself is sent
once the plan has ended, by the first worker to see the end (`PlanSpans`), with the plan's real
start and end times; a `PlanTrace` row makes sure only one worker sends it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction

from executors.protocol import StepOutcome
from plans.models import PlanTrace
from plans.telemetry import selectors

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from orchestration.engine.claims import Claim
    from orchestration.telemetry.otel import Tracing

logger = logging.getLogger(__name__)

ATTEMPT_SPAN = "plangate.step"
PLAN_SPAN = "plangate.plan"
# An error's text on a span is cut to this many characters.
ERROR_CHARS = 500
# Service names by process; OTEL_SERVICE_NAME wins.
WORKER_SERVICE = "plangate-worker"
WEB_SERVICE = "plangate-web"


def plan_trace_id(plan_id: UUID) -> int:
    """The trace id of a plan's run: its UUID."""
    return plan_id.int or 1


def plan_span_id(plan_id: UUID) -> int:
    """The span id of a plan's span: 64 bits of a hash of its UUID (never 0, which is invalid)."""
    digest = hashlib.blake2b(plan_id.bytes, digest_size=8, person=b"plangate.plan").digest()
    return int.from_bytes(digest, "big") or 1


# None: off. Decided once per process, on first use (or by configure()).
_tracing: Tracing | None = None
_decided = False
_lock = threading.Lock()
_service = WEB_SERVICE


def use_service(name: str) -> None:
    """Name this process's service (before the first span): runworker says it is a worker."""
    global _service
    _service = name


def configure(
    exporter: SpanExporter | None = None, *, batch: bool = True, service: str | None = None
) -> TracerProvider:
    """Turn tracing on in this process, sending spans to `exporter` (default: the one
    settings.PLANGATE_TRACE_EXPORTER names) through a batch processor, or one span at a time
    with batch=False (tests). Returns the provider; replaces any earlier one."""
    global _tracing, _decided
    # The SDK is loaded only here: a process that does not trace never imports it.
    from orchestration.telemetry import otel

    name = os.environ.get("OTEL_SERVICE_NAME") or service or _service
    chosen = (
        exporter if exporter is not None else otel.exporter_named(settings.PLANGATE_TRACE_EXPORTER)
    )
    tracing = otel.Tracing(chosen, batch=batch, service=name)
    with _lock:
        previous, _tracing, _decided = _tracing, tracing, True
    if previous is not None:
        previous.shutdown()
    return tracing.provider


def reset() -> None:
    """Turn tracing off (flushing what was sent) and decide again from the settings on next
    use."""
    global _tracing, _decided
    with _lock:
        previous, _tracing, _decided = _tracing, None, False
    if previous is not None:
        previous.shutdown()


def provider() -> TracerProvider | None:
    """This process's tracer provider, made on first use when tracing is on; None when off."""
    tracing = _current()
    return tracing.provider if tracing else None


def _current() -> Tracing | None:
    if _decided:
        return _tracing
    with _lock:
        if _decided:
            return _tracing
    if settings.PLANGATE_TRACING:
        try:
            configure()
        except Exception:
            # A broken exporter setting must not stop the work it would have traced.
            logger.exception("tracing could not be set up; running without it")
            _set_off()
    else:
        _set_off()
    return _tracing


def _set_off() -> None:
    global _decided
    with _lock:
        _decided = True


def flush() -> None:
    """Send the spans waiting in the batch processor (at shutdown)."""
    if _tracing is not None:
        _tracing.flush()


# --- Attempt spans ------------------------------------------------------------------------------


def attempt_started(claim: Claim) -> dict[str, str]:
    """Open the span of a claimed attempt, a child of its plan's span. Returns the headers that
    carry its context to what the executor calls (a W3C `traceparent`); {} when tracing is
    off."""
    tracing = _current()
    if tracing is None:
        return {}
    return tracing.attempt_started(
        claim, ATTEMPT_SPAN, plan_trace_id(claim.plan_id), plan_span_id(claim.plan_id)
    )


def attempt_ended(claim: Claim, outcome: StepOutcome | None, status: str) -> None:
    """Close the span of an attempt whose outcome was recorded (or which this worker stopped),
    with its status, its failure (an ERROR status with the error text, shortened) and what it
    consumed."""
    if _tracing is None:
        return
    if outcome is None:
        error = f"the attempt was {status}"
    else:
        error = "" if outcome.ok else _shortened(outcome.error) or str(outcome.failure_class)
    _tracing.attempt_ended(claim, outcome, status, error)


def _shortened(text: str) -> str:
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


# --- Plan spans ---------------------------------------------------------------------------------


class PlanSpans:
    """Sends the span of each plan that ended, once, from whichever worker sees the end first.

    It reads plan-end events past a cursor. Event ids are handed out when a transaction writes
    them, not when it commits, so an event with a lower id may become visible after a higher
    one: the cursor stays SETTLE_SECONDS behind the newest event, and the events in that tail
    are read again each time (the PlanTrace rows keep them from being sent twice). A worker
    that starts looks back LOOKBACK_EVENTS events, to send plans that ended while no worker
    ran.
    """

    SETTLE_SECONDS = 30.0
    LOOKBACK_EVENTS = 10_000
    EVERY_SECONDS = 1.0
    # Plan-end events read at a time.
    PAGE = 500

    def __init__(self) -> None:
        self.cursor: int | None = None
        # (monotonic time, newest event id then): where the cursor may move once settled.
        self._marks: list[tuple[float, int]] = []
        self._next = 0.0

    def due(self) -> bool:
        """Send, at most once every EVERY_SECONDS; True if any plan span was sent."""
        if _current() is None:
            return False
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + self.EVERY_SECONDS
        return self.send() > 0

    def send(self) -> int:
        """Send the spans of plans that ended since the last look and whose span no worker has
        sent; returns how many this worker sent."""
        tracing = _current()
        if tracing is None:
            return 0
        newest = selectors.newest_event_id()
        now = time.monotonic()
        if self.cursor is None:
            self.cursor = max(newest - self.LOOKBACK_EVENTS, 0)
        self._marks.append((now, newest))
        settled = [mark for mark in self._marks if now - mark[0] >= self.SETTLE_SECONDS]
        sent, after = 0, self.cursor
        while True:
            ended = selectors.plans_ended_after(after, limit=self.PAGE)
            sent += self._send(tracing, {plan_id for _, plan_id in ended})
            if len(ended) < self.PAGE:
                break
            after = ended[-1][0]
        if settled:
            self.cursor = max(self.cursor, settled[-1][1])
            self._marks = [mark for mark in self._marks if now - mark[0] < self.SETTLE_SECONDS]
        return sent

    @staticmethod
    def _send(tracing: Tracing, ended: set[UUID]) -> int:
        fresh = ended - selectors.plans_traced(ended)
        mine = [plan_id for plan_id in sorted(fresh, key=str) if _take(plan_id)]
        sent = 0
        for run in selectors.plan_runs(mine):
            # A plan cancelled before it ran has no run to show.
            if run.started_at is not None and run.finished_at is not None:
                _plan_span(tracing, run, (run.started_at, run.finished_at))
                sent += 1
        return sent


def _take(plan_id: UUID) -> bool:
    # The insert is the claim on sending this plan's span: of two workers that saw the same
    # end, the second one's insert fails (on PostgreSQL it waits for the first to commit).
    try:
        with transaction.atomic():
            PlanTrace.objects.create(plan_id=plan_id)
    except IntegrityError:
        return False
    return True


def _plan_span(tracing: Tracing, run: selectors.PlanRun, times: tuple[datetime, datetime]) -> None:
    attributes: dict[str, Any] = {
        "plangate.plan_id": str(run.plan_id),
        "plangate.team_id": run.team_id,
        "plangate.status": run.status,
        "plangate.steps": sum(run.steps.values()),
    }
    for status, n in sorted(run.steps.items()):
        attributes[f"plangate.steps.{status}"] = n
    tracing.plan_span(
        PLAN_SPAN,
        run.plan_id,
        (plan_trace_id(run.plan_id), plan_span_id(run.plan_id)),
        attributes,
        times,
        "" if run.status == "completed" else f"the plan {run.status}",
    )


plan_spans = PlanSpans()
