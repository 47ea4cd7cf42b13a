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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from executors.protocol import StepOutcome
from plans.models import PlanTrace
from plans.telemetry import selectors

if TYPE_CHECKING:
    from orchestration.engine.claims import Claim

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


def plan_span_context(plan_id: UUID) -> SpanContext:
    """The plan's span as a parent that any process can name."""
    return SpanContext(
        trace_id=plan_trace_id(plan_id),
        span_id=plan_span_id(plan_id),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )


class _PlanIds(IdGenerator):
    """Random ids, except while a plan span is made: then the ids derived from the plan."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()
        self._forced = threading.local()

    @contextmanager
    def forced(self, trace_id: int, span_id: int) -> Iterator[None]:
        self._forced.ids = (trace_id, span_id)
        try:
            yield
        finally:
            self._forced.ids = None

    def generate_trace_id(self) -> int:
        ids = getattr(self._forced, "ids", None)
        return ids[0] if ids else self._random.generate_trace_id()

    def generate_span_id(self) -> int:
        ids = getattr(self._forced, "ids", None)
        return ids[1] if ids else self._random.generate_span_id()


class _Tracing:
    def __init__(self, provider: TracerProvider, ids: _PlanIds) -> None:
        self.provider = provider
        self.ids = ids
        self.tracer = provider.get_tracer("plangate")


# None: off. Decided once per process, on first use (or by configure()).
_tracing: _Tracing | None = None
_decided = False
_lock = threading.Lock()
_service = WEB_SERVICE
# Attempt spans open in this process, by (step id, attempt).
_open: dict[tuple[int, int], Span] = {}


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
    ids = _PlanIds()
    name = os.environ.get("OTEL_SERVICE_NAME") or service or _service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}), id_generator=ids)
    chosen = exporter if exporter is not None else _exporter()
    provider.add_span_processor(
        BatchSpanProcessor(chosen) if batch else SimpleSpanProcessor(chosen)
    )
    with _lock:
        previous, _tracing, _decided = _tracing, _Tracing(provider, ids), True
        _open.clear()
    if previous is not None:
        previous.provider.shutdown()
    return provider


def reset() -> None:
    """Turn tracing off (flushing what was sent) and decide again from the settings on next
    use."""
    global _tracing, _decided
    with _lock:
        previous, _tracing, _decided = _tracing, None, False
        _open.clear()
    if previous is not None:
        previous.provider.shutdown()


def provider() -> TracerProvider | None:
    """This process's tracer provider, made on first use when tracing is on; None when off."""
    tracing = _current()
    return tracing.provider if tracing else None


def _current() -> _Tracing | None:
    if _decided:
        return _tracing
    with _lock:
        if _decided:
            return _tracing
    if settings.PLANGATE_TRACING:
        configure()
    else:
        _set_off()
    return _tracing


def _set_off() -> None:
    global _decided
    with _lock:
        _decided = True


def _exporter() -> SpanExporter:
    name = settings.PLANGATE_TRACE_EXPORTER
    if name == "otlp":
        # Imported only when used: the exporter pulls in protobuf.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    exporter: SpanExporter = import_string(name)()
    return exporter


def flush() -> None:
    """Send the spans waiting in the batch processor (at shutdown)."""
    if _tracing is not None:
        _tracing.provider.force_flush()


# --- Attempt spans ------------------------------------------------------------------------------


def attempt_started(claim: Claim) -> dict[str, str]:
    """Open the span of a claimed attempt, a child of its plan's span. Returns the headers that
    carry its context to what the executor calls (a W3C `traceparent`); {} when tracing is
    off."""
    tracing = _current()
    if tracing is None:
        return {}
    parent = trace.set_span_in_context(NonRecordingSpan(plan_span_context(claim.plan_id)))
    span = tracing.tracer.start_span(
        ATTEMPT_SPAN,
        context=parent,
        kind=SpanKind.INTERNAL,
        attributes={
            "plangate.plan_id": str(claim.plan_id),
            "plangate.team_id": claim.team_id,
            "plangate.step_key": claim.key,
            "plangate.executor": claim.executor,
            "plangate.attempt": claim.attempt,
        },
    )
    previous = _open.pop((claim.id, claim.attempt), None)
    if previous is not None:
        previous.end()
    _open[(claim.id, claim.attempt)] = span
    headers: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(headers, context=trace.set_span_in_context(span))
    return headers


def attempt_ended(claim: Claim, outcome: StepOutcome | None, status: str) -> None:
    """Close the span of an attempt whose outcome was recorded (or which this worker stopped),
    with its status, its failure and what it consumed."""
    if _tracing is None:
        return
    span = _open.pop((claim.id, claim.attempt), None)
    if span is None:
        return
    span.set_attribute("plangate.status", status)
    if outcome is not None and not outcome.ok:
        span.set_attribute("plangate.failure_class", str(outcome.failure_class))
        span.set_status(Status(StatusCode.ERROR, _shortened(outcome.error)))
    elif outcome is None:
        span.set_status(Status(StatusCode.ERROR, f"the attempt was {status}"))
    usage = outcome.usage if outcome is not None else None
    if usage is not None:
        span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
        if usage.model:
            span.set_attribute("gen_ai.request.model", usage.model)
        if usage.cost is not None:
            span.set_attribute("plangate.cost", float(usage.cost))
    span.end()


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
    def _send(tracing: _Tracing, ended: set[UUID]) -> int:
        fresh = ended - selectors.plans_traced(ended)
        mine = [plan_id for plan_id in sorted(fresh, key=str) if _take(plan_id)]
        sent = 0
        for run in selectors.plan_runs(mine):
            # A plan cancelled before it ran has no run to show.
            if run.started_at is not None and run.finished_at is not None:
                _plan_span(tracing, run, run.started_at, run.finished_at)
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


def _plan_span(
    tracing: _Tracing, run: selectors.PlanRun, started: datetime, finished: datetime
) -> None:
    attributes: dict[str, Any] = {
        "plangate.plan_id": str(run.plan_id),
        "plangate.team_id": run.team_id,
        "plangate.status": run.status,
        "plangate.steps": sum(run.steps.values()),
    }
    for status, n in sorted(run.steps.items()):
        attributes[f"plangate.steps.{status}"] = n
    with tracing.ids.forced(plan_trace_id(run.plan_id), plan_span_id(run.plan_id)):
        span = tracing.tracer.start_span(
            PLAN_SPAN,
            context=Context(),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=_ns(started),
        )
    if run.status != "completed":
        span.set_status(Status(StatusCode.ERROR, f"the plan {run.status}"))
    span.end(end_time=_ns(finished))


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000) * 1000


plan_spans = PlanSpans()
