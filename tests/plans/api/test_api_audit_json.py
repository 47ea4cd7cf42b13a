"""GET /api/v1/audit: every decision on the team's plans, who made it, in what role, through
what, oldest first, a page at a time."""

from __future__ import annotations

from typing import Any

from tests.plans.audit.helpers import decisions


def test_it_lists_each_decision_with_who_role_source_version_and_reason(
    api: Any, team: Any
) -> None:
    made = decisions(team)

    response = api.get("/audit")

    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    rows = [
        (
            r["kind"],
            r["plan_title"],
            r["step_key"],
            r["actor"],
            r["username"],
            r["role"],
            r["source"],
            r["version"],
            r["reason"],
        )
        for r in body["items"]
    ]
    assert rows == [
        ("plan.approved", "Deploy v2", "", f"token:{made.token.prefix}", "", "", "token", 1, ""),
        (
            "plan.cancelled",
            "Old import",
            "",
            "user:bob",
            "bob",
            "admin",
            "browser",
            None,
            "duplicate of #12",
        ),
        (
            "step.skipped",
            "Nightly report",
            "b",
            "user:carol",
            "carol",
            "reviewer",
            "slack",
            2,
            "not tonight",
        ),
        ("decision.timed_out", "Nightly report", "", "system", "", "", "timeout", 2, ""),
        (
            "plan.changes_requested",
            "Migrate billing",
            "",
            "user:bob",
            "bob",
            "admin",
            "browser",
            1,
            "Add a rollback step",
        ),
    ]
    first = body["items"][0]
    assert first["plan_id"] == str(made.approved.pk)
    assert first["at"].endswith(("Z", "+00:00"))


def test_it_pages_with_a_cursor(api: Any, team: Any) -> None:
    decisions(team)

    first = api.get("/audit", limit=2).json()
    second = api.get("/audit", limit=2, cursor=first["next"]).json()
    third = api.get("/audit", limit=2, cursor=second["next"]).json()

    kinds = [r["kind"] for page in (first, second, third) for r in page["items"]]
    assert kinds == [
        "plan.approved",
        "plan.cancelled",
        "step.skipped",
        "decision.timed_out",
        "plan.changes_requested",
    ]
    assert third["next"] is None


def test_it_needs_a_token(client: Any, db: Any) -> None:
    assert client.get("/api/v1/audit").status_code == 401
