"""Gates over the API: submitting them, seeing what waits, approving, and the refusals."""

from __future__ import annotations

import pytest

from plans import services
from plans.models import Plan
from tests.orchestration.support import steps_of

pytestmark = pytest.mark.django_db


def _submit(api, **step_fields):
    return api.post(
        "/plans",
        {
            "goal": "Deploy",
            "user_id": "u",
            "topic_id": "t",
            "steps": [
                {"key": "build", "task": "Build"},
                {"key": "deploy", "task": "Deploy", "depends_on": ["build"], **step_fields},
            ],
        },
    )


def _started(api):
    answer = _submit(api, approval="required", params={"target": "staging"})
    assert answer.status_code == 201, answer.json()
    plan = Plan.objects.get(pk=answer.json()["id"])
    services.plan_approve(plan=plan, actor=services.SYSTEM, version=1)
    services.plan_start(plan=plan, actor=services.SYSTEM)
    services.step_skip(plan=plan, key="build", actor=services.SYSTEM, reason="built already")
    return plan


def test_it_refuses_an_unknown_approval_value(api):
    answer = _submit(api, approval="maybe")

    assert answer.status_code == 422
    assert [p["loc"] for p in answer.json()["detail"]] == [["body", "steps", 1, "approval"]]


def test_it_shows_which_steps_await_a_decision(api):
    plan = _started(api)

    body = api.get(f"/plans/{plan.pk}").json()

    assert body["awaiting_approval"] == ["deploy"]
    deploy = body["steps"][1]
    assert (deploy["approval"], deploy["status"], deploy["gate"]) == (
        "required",
        "awaiting_approval",
        None,
    )
    assert body["steps"][0]["approval"] == "none"


def test_it_approves_with_edited_params(api):
    plan = _started(api)

    answer = api.post(
        f"/plans/{plan.pk}/steps/deploy/approve", {"version": 1, "params": {"target": "prod"}}
    )

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["awaiting_approval"] == []
    deploy = body["steps"][1]
    assert deploy["status"] == "pending"
    assert deploy["params"] == {"target": "prod"}
    assert deploy["gate"]["approved_by"].startswith("token:")
    assert deploy["gate"]["params_edited"] is True
    events = api.get(f"/plans/{plan.pk}/events").json()
    assert events[-1]["kind"] == "step.approved"
    assert events[-1]["data"]["params_before"] == {"target": "staging"}


def test_it_answers_409_to_the_second_decision(api):
    plan = _started(api)
    assert api.post(f"/plans/{plan.pk}/steps/deploy/approve", {"version": 1}).status_code == 200

    again = api.post(f"/plans/{plan.pk}/steps/deploy/approve", {"version": 1})
    skip = api.post(f"/plans/{plan.pk}/steps/deploy/skip", {"reason": "no"})

    assert again.status_code == 409
    assert "it is pending" in again.json()["detail"]
    assert again.json()["status"] == "executing"
    assert skip.status_code == 409


def test_it_answers_409_to_a_stale_version(api):
    plan = _started(api)

    answer = api.post(f"/plans/{plan.pk}/steps/deploy/approve", {"version": 7})

    assert answer.status_code == 409
    assert answer.json()["current_version"] == 1
    assert steps_of(plan)["deploy"].status == "awaiting_approval"


def test_it_answers_422_with_the_path_of_bad_params(api, settings):
    plan = _started(api)
    step = plan.steps.get(key="deploy")
    step.executor = "python"
    step.save(update_fields=["executor"])

    answer = api.post(
        f"/plans/{plan.pk}/steps/deploy/approve", {"version": 1, "params": {"function": "nope"}}
    )

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "params"]


def test_it_answers_404_for_another_teams_plan(api, other_api):
    plan = _started(api)

    answer = other_api.post(f"/plans/{plan.pk}/steps/deploy/approve", {"version": 1})

    assert answer.status_code == 404
    assert steps_of(plan)["deploy"].status == "awaiting_approval"


def test_it_accepts_a_gate_on_a_delegation_task(api):
    answer = api.post(
        "/plans",
        {
            "user_id": "u",
            "topic_id": "t",
            "delegation": {
                "goal": "g",
                "plan": {
                    "type": "task",
                    "task": "Send it",
                    "approval": "required",
                    "input": {"type": "task", "task": "Write it"},
                },
            },
        },
    )

    assert answer.status_code == 201, answer.json()
    steps = {s["key"]: s["approval"] for s in answer.json()["steps"]}
    assert steps == {"plan.input": "none", "plan": "required"}


def test_it_refuses_a_bad_gate_on_a_delegation_task(api):
    answer = api.post(
        "/plans",
        {
            "user_id": "u",
            "topic_id": "t",
            "delegation": {"goal": "g", "plan": {"type": "task", "task": "x", "approval": 1}},
        },
    )

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "delegation", "plan", "approval"]
