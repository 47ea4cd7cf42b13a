"""A span exporter for worker processes started by tests: each process appends its spans, one
JSON object a line, to $PLANGATE_TEST_SPANS_DIR/<pid>.jsonl."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


class FileSpanExporter(SpanExporter):
    def __init__(self) -> None:
        self.path = Path(os.environ["PLANGATE_TEST_SPANS_DIR"]) / f"{os.getpid()}.jsonl"

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self.path.open("a") as out:
            for span in spans:
                context = span.get_span_context()
                line = {
                    "name": span.name,
                    "trace_id": context.trace_id,
                    "span_id": context.span_id,
                    "parent_id": span.parent.span_id if span.parent else None,
                    "start": span.start_time,
                    "end": span.end_time,
                    "attributes": dict(span.attributes or {}),
                    "service": span.resource.attributes.get("service.name"),
                    "pid": os.getpid(),
                }
                out.write(json.dumps(line) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass
