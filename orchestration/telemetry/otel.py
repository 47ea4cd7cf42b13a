"""The OpenTelemetry side of tracing.py: the provider, and the spans themselves. Imported only
once tracing is turned on, so that a process that does not trace never loads the SDK."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

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

if TYPE_CHECKING:
    from orchestration.engine.claims import Claim


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


def exporter_named(name: str) -> SpanExporter:
    """ "otlp" (OTLP over HTTP, configured by the OTEL_EXPORTER_OTLP_* variables), "console", or
    the dotted path of a SpanExporter class."""
    if name == "otlp":
        # Imported only when used: it pulls in protobuf.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    exporter: SpanExporter = import_string(name)()
    return exporter


class Tracing:
    """A process's tracer provider and the attempt spans it holds open."""

    def __init__(self, exporter: SpanExporter, *, batch: bool, service: str) -> None:
        self.ids = _PlanIds()
        self.provider = TracerProvider(
            resource=Resource.create({SERVICE_NAME: service}), id_generator=self.ids
        )
        self.provider.add_span_processor(
            BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        )
        self.tracer = self.provider.get_tracer("plangate")
        # Attempt spans open in this process, by (step id, attempt). Only the worker's loop
        # thread opens and closes them.
        self.open: dict[tuple[int, int], Span] = {}

    def attempt_started(
        self, claim: Claim, name: str, trace_id: int, parent_id: int
    ) -> dict[str, str]:
        plan = SpanContext(
            trace_id=trace_id,
            span_id=parent_id,
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
        span = self.tracer.start_span(
            name,
            context=trace.set_span_in_context(NonRecordingSpan(plan)),
            kind=SpanKind.INTERNAL,
            attributes={
                "plangate.plan_id": str(claim.plan_id),
                "plangate.team_id": claim.team_id,
                "plangate.step_key": claim.key,
                "plangate.executor": claim.executor,
                "plangate.attempt": claim.attempt,
            },
        )
        previous = self.open.pop((claim.id, claim.attempt), None)
        if previous is not None:
            previous.end()
        self.open[(claim.id, claim.attempt)] = span
        headers: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(headers, context=trace.set_span_in_context(span))
        return headers

    def attempt_ended(
        self, claim: Claim, outcome: StepOutcome | None, status: str, error: str
    ) -> None:
        span = self.open.pop((claim.id, claim.attempt), None)
        if span is None:
            return
        span.set_attribute("plangate.status", status)
        if outcome is not None and not outcome.ok:
            span.set_attribute("plangate.failure_class", str(outcome.failure_class))
        if error:
            span.set_status(Status(StatusCode.ERROR, error))
        usage = outcome.usage if outcome is not None else None
        if usage is not None:
            span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
            if usage.model:
                span.set_attribute("gen_ai.request.model", usage.model)
            if usage.cost is not None:
                span.set_attribute("plangate.cost", float(usage.cost))
        span.end()

    def plan_span(
        self,
        name: str,
        plan_id: UUID,
        ids: tuple[int, int],
        attributes: dict[str, Any],
        times: tuple[datetime, datetime],
        error: str,
    ) -> None:
        with self.ids.forced(*ids):
            span = self.tracer.start_span(
                name,
                context=Context(),
                kind=SpanKind.INTERNAL,
                attributes=attributes,
                start_time=_ns(times[0]),
            )
        if error:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end(end_time=_ns(times[1]))

    def flush(self) -> None:
        self.provider.force_flush()

    def shutdown(self) -> None:
        self.open.clear()
        self.provider.shutdown()


def _ns(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000) * 1000
