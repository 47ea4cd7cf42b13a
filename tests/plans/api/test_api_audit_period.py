"""The audit export's period: `since` inclusive, `until` exclusive, in every format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.plans.audit.helpers import at, decisions, last_event


def test_it_returns_only_decisions_in_the_period(api: Any, team: Any) -> None:
    made = decisions(team)
    at(last_event(made.approved, "plan.approved"), datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    at(last_event(made.cancelled, "plan.cancelled"), datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    at(last_event(made.sent_back, "plan.changes_requested"), datetime(2026, 3, 16, 9, tzinfo=UTC))

    window = {"since": "2026-03-02T09:00:00Z", "until": "2026-03-16T09:00:00+00:00"}
    page = api.get("/audit", **window).json()
    lines = b"".join(api.get("/audit", format="jsonl", **window).streaming_content)

    assert [r["kind"] for r in page["items"]] == ["plan.approved", "plan.cancelled"]
    assert [json.loads(line)["kind"] for line in lines.splitlines()] == [
        "plan.approved",
        "plan.cancelled",
    ]
    later = api.get("/audit", since="2026-03-03T00:00:00+01:00").json()["items"]
    assert "plan.approved" not in [r["kind"] for r in later]
    assert "plan.cancelled" in [r["kind"] for r in later]
