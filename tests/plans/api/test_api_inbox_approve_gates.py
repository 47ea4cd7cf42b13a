"""POST /api/v1/inbox/approve with a gate: the gated step is approved and may run, next to
plans approved in the same batch."""

from __future__ import annotations

from typing import Any

from plans.models import PlanStep
from tests.plans.gates.support import started
from tests.plans.inbox.helpers import draft


def test_it_approves_a_gate_and_a_plan_in_one_batch(api: Any, team: Any) -> None:
    gated = started(team)
    plan = draft(team, "Plan")

    response = api.post(
        "/inbox/approve",
        {
            "items": [
                {"plan_id": str(gated.pk), "version": gated.version, "step_key": "deploy"},
                {"plan_id": str(plan.pk), "version": 1},
            ]
        },
    )

    assert response.status_code == 200
    outcomes = [(r["step_key"], r["outcome"]) for r in response.json()["results"]]
    assert outcomes == [("deploy", "approved"), (None, "approved")]
    assert PlanStep.objects.get(plan=gated, key="deploy").status == "pending"


def test_it_refuses_a_gate_that_is_no_longer_waiting(api: Any, team: Any) -> None:
    gated = started(team)
    item = {"plan_id": str(gated.pk), "version": gated.version, "step_key": "deploy"}
    assert api.post("/inbox/approve", {"items": [item]}).json()["results"][0]["outcome"] == (
        "approved"
    )

    again = api.post("/inbox/approve", {"items": [item]}).json()["results"][0]

    assert (again["outcome"], again["reason"]) == ("refused", "state")
