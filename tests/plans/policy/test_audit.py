"""A change to the policy shows in the team's audit, among the decisions on its plans, in the
list and in the export; a plan the policy approved shows as approved through the policy."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.factories import submit_plan
from tests.plans.policy.support import put_policy, rule


def test_a_policy_change_is_in_the_audit_list_and_export(team: Any, api: Any) -> None:
    api.put(
        "/policy",
        {"base_version": 0, "rules": [rule("gate-all", "require_gate")], "comment": "gate all"},
    )
    plan = submit_plan(team)
    api.post(f"/plans/{plan.pk}/cancel", {"reason": "not needed"})

    items = api.get("/audit").json()["items"]

    assert [i["kind"] for i in items] == ["policy.changed", "plan.cancelled"]
    change = items[0]
    assert change["plan_id"] is None
    assert change["version"] == 1
    assert change["reason"] == "gate all"
    assert change["source"] == "token"
    assert change["actor"].startswith("token:")

    exported = api.get("/audit", format="csv").getvalue().decode()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["kind"] for r in rows] == ["policy.changed", "plan.cancelled"]
    assert rows[0]["plan_id"] == ""


def test_a_plan_the_policy_approved_is_audited_as_such(team: Any, api: Any) -> None:
    put_policy(team, [rule("all-echo", "auto_approve", {"executors_within": ["echo"]})])
    submit_plan(team)

    items = api.get("/audit").json()["items"]

    approved = next(i for i in items if i["kind"] == "plan.approved")
    assert approved["source"] == "policy"
    assert approved["actor"] == "policy:all-echo"
