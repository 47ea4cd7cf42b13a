"""The audit export as JSON Lines and CSV: every decision streamed as a download, with its
content type, a file name and the same rows as the JSON pages."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from plans.models import PlanEvent
from tests.plans.audit.helpers import decisions

COLUMNS = [
    "id",
    "at",
    "plan_id",
    "plan_title",
    "step_key",
    "kind",
    "actor",
    "username",
    "role",
    "source",
    "version",
    "reason",
]


def test_it_streams_json_lines(api: Any, team: Any) -> None:
    decisions(team)

    response = api.get("/audit", format="jsonl")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="decisions-acme.jsonl"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert list(rows[0]) == COLUMNS
    assert rows == api.get("/audit").json()["items"]


def test_it_streams_csv_with_a_header_and_one_row_per_decision(api: Any, team: Any) -> None:
    made = decisions(team)

    response = api.get("/audit", format="csv", since="2020-01-01T00:00:00Z")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="decisions-acme-from-2020-01-01.csv"'
    )
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0] == COLUMNS
    by_kind = {row[5]: dict(zip(COLUMNS, row, strict=True)) for row in table[1:]}
    assert list(by_kind) == [
        "plan.approved",
        "plan.cancelled",
        "step.skipped",
        "decision.timed_out",
        "plan.changes_requested",
    ]
    skip = by_kind["step.skipped"]
    assert skip["plan_id"] == str(made.skipped.pk)
    assert (skip["username"], skip["role"], skip["source"], skip["version"], skip["reason"]) == (
        "carol",
        "reviewer",
        "slack",
        "2",
        "not tonight",
    )
    assert by_kind["plan.approved"]["source"] == "token"
    assert by_kind["decision.timed_out"]["source"] == "timeout"
    assert by_kind["plan.cancelled"]["version"] == ""


def test_it_keeps_a_reason_from_running_as_a_spreadsheet_formula(api: Any, team: Any) -> None:
    made = decisions(team)
    PlanEvent.objects.filter(plan=made.cancelled, kind="plan.cancelled").update(
        data={"reason": '=HYPERLINK("http://evil")'}
    )

    response = api.get("/audit", format="csv")

    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    reasons = [row[COLUMNS.index("reason")] for row in table[1:]]
    assert '\'=HYPERLINK("http://evil")' in reasons
