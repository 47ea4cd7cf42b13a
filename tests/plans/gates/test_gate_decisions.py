"""A reviewer approves a gate (as is, or with edited params), skips it, or cancels its plan."""

from __future__ import annotations

import pytest

from executors.protocol import StepOutcome
from plans import services
from plans.gates.services import step_approve
from plans.states import InvalidTransition, StaleVersion
from plans.validation import PlanInvalid
from tests.factories import claim, finish, step
from tests.orchestration.support import steps_of
from tests.plans.gates.support import reviewer_actor, started

pytestmark = pytest.mark.django_db


def test_it_makes_an_approved_step_ready_to_claim(team, reviewer):
    plan = started(team)

    step_approve(plan=plan, key="deploy", actor=reviewer_actor(reviewer), version=plan.version)

    deploy = steps_of(plan)["deploy"]
    assert deploy.status == "pending"
    assert (deploy.gate_approved_by, deploy.gate_params_edited) == ("user:alice", False)
    assert deploy.gate_approved_at is not None
    assert claim(plan, "deploy").params == {"target": "staging"}
    event = plan.events.get(kind="step.approved")
    assert (event.actor, event.data) == ("user:alice", {"version": plan.version})


def test_it_records_edited_params_and_runs_with_them(team, reviewer):
    plan = started(team)

    step_approve(
        plan=plan,
        key="deploy",
        actor=reviewer_actor(reviewer),
        version=plan.version,
        params={"target": "production"},
    )

    assert claim(plan, "deploy").params == {"target": "production"}
    event = plan.events.get(kind="step.approved")
    assert event.data == {
        "version": plan.version,
        "params_before": {"target": "staging"},
        "params": {"target": "production"},
    }
    plan.refresh_from_db()
    # The plan runs: an edit at a gate is recorded in its events, not as a new version.
    assert plan.version == 1
    assert steps_of(plan)["deploy"].gate_params_edited


def test_it_refuses_params_its_executor_refuses(team, reviewer):
    plan = started(
        team,
        [
            step(
                "count",
                executor="python",
                approval="required",
                params={"function": "word_count", "text": "a b"},
            )
        ],
    )

    with pytest.raises(PlanInvalid) as caught:
        step_approve(
            plan=plan,
            key="count",
            actor=reviewer_actor(reviewer),
            version=1,
            params={"function": "rm_rf"},
        )

    assert caught.value.problems[0].loc == ("params",)
    assert "rm_rf" in caught.value.problems[0].msg
    assert steps_of(plan)["count"].status == "awaiting_approval"


def test_it_refuses_a_decision_on_an_older_version(team, reviewer):
    plan = started(team)
    plan.version = 2
    plan.save(update_fields=["version"])

    with pytest.raises(StaleVersion) as caught:
        step_approve(plan=plan, key="deploy", actor=reviewer_actor(reviewer), version=1)

    assert caught.value.current_version == 2
    assert steps_of(plan)["deploy"].status == "awaiting_approval"


def test_it_refuses_a_second_approval_naming_the_step_status(team, reviewer):
    plan = started(team)
    step_approve(plan=plan, key="deploy", actor=reviewer_actor(reviewer), version=1)

    with pytest.raises(InvalidTransition, match="it is pending; user:alice approved it already"):
        step_approve(plan=plan, key="deploy", actor=services.SYSTEM, version=1)


def test_it_refuses_a_skip_after_the_approval(team, reviewer):
    plan = started(team)
    step_approve(plan=plan, key="deploy", actor=reviewer_actor(reviewer), version=1)

    with pytest.raises(services.DomainError, match="approved it at its gate"):
        services.step_skip(plan=plan, key="deploy", actor=services.SYSTEM, reason="no")


def test_it_refuses_an_approval_after_a_skip(team, reviewer):
    plan = started(team)
    services.step_skip(plan=plan, key="deploy", actor=services.SYSTEM, reason="not today")

    with pytest.raises(InvalidTransition, match=r"it is skipped \(not today\)"):
        step_approve(plan=plan, key="deploy", actor=reviewer_actor(reviewer), version=1)


def test_it_lets_dependents_of_a_skipped_gate_go_on(team):
    plan = started(team)

    services.step_skip(plan=plan, key="deploy", actor=services.SYSTEM, reason="not today")

    report = claim(plan, "report")
    assert report.inputs == {}
    assert finish(report, StepOutcome.success("done"))
    plan.refresh_from_db()
    assert plan.status == "completed"


def test_it_keeps_the_plan_executing_until_the_gate_is_decided(team):
    plan = started(team, [step("deploy", approval="required"), step("notes")])

    assert finish(claim(plan, "notes"), StepOutcome.success("ok"))

    plan.refresh_from_db()
    assert plan.status == "executing"


def test_it_skips_a_waiting_gate_when_the_plan_is_cancelled(team, reviewer):
    plan = started(team)

    services.plan_cancel(plan=plan, actor=services.SYSTEM, reason="wrong customer")

    deploy = steps_of(plan)["deploy"]
    assert (deploy.status, deploy.skip_reason) == ("skipped", "plan cancelled")
    with pytest.raises(InvalidTransition, match="the plan is cancelled"):
        step_approve(plan=plan, key="deploy", actor=reviewer_actor(reviewer), version=1)


def test_it_refuses_to_approve_a_step_without_a_gate(team, reviewer):
    plan = started(team)

    with pytest.raises(InvalidTransition, match="'report': it is pending, not awaiting"):
        step_approve(plan=plan, key="report", actor=reviewer_actor(reviewer), version=1)
