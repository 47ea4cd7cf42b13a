"""A worker runs around a gate: independent steps go on, the gated step runs once approved, with
the params the reviewer approved."""

from __future__ import annotations

import pytest

from plans import services
from plans.gates.services import step_approve
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import events_of, run_until_idle, steps_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_runs_a_gated_step_once_approved_with_edited_params(team, reviewer, worker):
    plan = approve(
        submit_plan(
            team,
            [
                step("fetch", params={"rows": 3}),
                step("other"),
                step("deploy", "fetch", approval="required", params={"target": "staging"}),
                step("report", "deploy"),
            ],
        )
    )

    run_until_idle(worker)

    steps = steps_of(plan)
    assert steps["fetch"].status == "completed"
    assert steps["other"].status == "completed"
    assert steps["deploy"].status == "awaiting_approval"
    assert steps["report"].status == "pending"
    plan.refresh_from_db()
    assert plan.status == "executing"

    step_approve(
        plan=plan,
        key="deploy",
        actor=services.Actor.for_user(reviewer),
        version=plan.version,
        params={"target": "production"},
    )
    run_until_idle(worker)

    steps = steps_of(plan)
    assert steps["deploy"].status == "completed"
    assert steps["deploy"].result["params"] == {"target": "production"}
    assert steps["deploy"].result["inputs"] == {"fetch": steps["fetch"].result}
    assert steps["report"].status == "completed"
    plan.refresh_from_db()
    assert plan.status == "completed"
    kinds = [kind for kind, key in events_of(plan) if key == "deploy"]
    assert kinds == ["step.awaiting_approval", "step.approved", "step.started", "step.completed"]


def test_it_holds_a_gated_fan_out_step_before_it_fans_out(team, reviewer, worker):
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", ["x", "y"]),
                step("each", "list", approval="required", for_each={"over": "list"}),
            ],
        )
    )

    run_until_idle(worker)

    assert steps_of(plan)["each"].status == "awaiting_approval"
    assert not [k for k in steps_of(plan) if k.startswith("each[")]

    step_approve(plan=plan, key="each", actor=services.Actor.for_user(reviewer), version=1)
    run_until_idle(worker)

    steps = steps_of(plan)
    assert steps["each"].status == "completed"
    # Items inherit no gate: they run at once.
    assert steps["each[0]"].approval == "none"
    assert steps["each[1]"].status == "completed"
