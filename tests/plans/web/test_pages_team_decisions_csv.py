"""The decisions page's CSV download: the API export's rows for the page's period, for a
logged-in team admin."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from django.test import Client

from plans.models import Role
from tests.plans.audit.helpers import at, decisions, last_event, member


def test_it_downloads_the_periods_decisions_as_csv(client: Client, team: Any) -> None:
    made = decisions(team)
    at(last_event(made.approved, "plan.approved"), datetime(2026, 3, 1, 23, 59, tzinfo=UTC))
    at(last_event(made.cancelled, "plan.cancelled"), datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    at(last_event(made.sent_back, "plan.changes_requested"), datetime(2026, 3, 8, 23, tzinfo=UTC))
    at(last_event(made.skipped, "step.skipped"), datetime(2026, 3, 9, 0, 0, tzinfo=UTC))
    client.force_login(member(team, "dora", Role.ADMIN))

    response = client.get(
        f"/teams/{team.pk}/decisions/export.csv?since=2026-03-02&until=2026-03-08"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="decisions-acme-from-2026-03-02-to-2026-03-08.csv"'
    )
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = table[0]
    assert header[:6] == ["id", "at", "plan_id", "plan_title", "step_key", "kind"]
    rows = [dict(zip(header, row, strict=True)) for row in table[1:]]
    assert [(r["kind"], r["username"], r["role"], r["source"]) for r in rows] == [
        ("plan.cancelled", "bob", "admin", "browser"),
        ("plan.changes_requested", "bob", "admin", "browser"),
    ]
