"""The audit export's formats: JSON values of a row, JSON Lines and CSV, streamed a row at a time
so that an export of years of decisions never sits in memory whole."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse

from plans.audit.selectors import COLUMNS, Decision

JSONL_MEDIA_TYPE = "application/x-ndjson"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# Cells a spreadsheet would run as a formula; prefixed with an apostrophe so that a reason or
# title written by an integration is shown, never evaluated, when the CSV is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# Times and ids written as the JSON API writes them (ISO 8601 in UTC to the millisecond), so a
# row reads the same in every format.
ENCODER = DjangoJSONEncoder()


def jsonl_lines(rows: Iterable[Decision]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row.as_dict(), cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | UUID):
        return str(ENCODER.default(value))
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_lines(rows: Iterable[Decision]) -> Iterator[str]:
    """The header, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(COLUMNS)
    for row in rows:
        yield line(_cell(getattr(row, name)) for name in COLUMNS)


def filename(
    team_name: str, extension: str, *, since: datetime | None, until: datetime | None
) -> str:
    """decisions-<team>[-from-<date>][-to-<date>].<extension>, safe in a header."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in team_name)
    parts = [f"decisions-{safe or 'team'}"]
    if since is not None:
        parts.append(f"from-{since.date().isoformat()}")
    if until is not None:
        parts.append(f"to-{until.date().isoformat()}")
    return "-".join(parts) + f".{extension}"


def streaming_export(rows: Iterable[Decision], *, fmt: str, name: str) -> StreamingHttpResponse:
    """Every row as a download: `fmt` "csv" or "jsonl", saved as `name`."""
    if fmt == "csv":
        lines, media_type = csv_lines(rows), CSV_MEDIA_TYPE
    else:
        lines, media_type = jsonl_lines(rows), JSONL_MEDIA_TYPE
    response = StreamingHttpResponse(lines, content_type=media_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
