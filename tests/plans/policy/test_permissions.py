"""Permissions per executor and role: the submitter's role (a token's agent role, a person's
team role); the most specific entry wins; deny refuses, ask gates, allow does nothing."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.models import Plan, Scope
from plans.validation import PlanInvalid, StepDraft
from tests.factories import step
from tests.plans.policy.support import matched, put_policy

PERMISSIONS = [
    {"executor": "python", "role": "*", "mode": "deny"},
    {"executor": "python", "role": "researcher", "mode": "ask"},
    {"executor": "python", "role": "builder", "mode": "allow"},
]


def submit_as(team: Any, agent_role: str, steps: list[StepDraft]) -> Plan:
    token, _ = services.token_create(team=team, name=agent_role, scopes=[Scope.SUBMIT.value])
    token.agent_role = agent_role
    token.save()
    return services.plan_submit(
        team=team,
        actor=services.Actor.for_token(token),
        submission=services.PlanSubmission(user_id="u", topic_id="t", goal="g", steps=steps),
    )


def python_step(key: str) -> StepDraft:
    return step(
        key, executor="python", params={"function": "word_count", "text": "a b"}, loc=("steps", 1)
    )


def test_ask_gates_the_steps_of_that_executor(team: Any) -> None:
    put_policy(team, [], PERMISSIONS)

    plan = submit_as(team, "researcher", [step("a"), python_step("b")])

    assert plan.steps.get(key="b").approval == "required"
    assert plan.steps.get(key="a").approval == "none"
    entry = matched(plan)["python/researcher"]
    assert entry["kind"] == "permission"
    assert entry["action"] == "ask"
    assert entry["steps"] == ["b"]


def test_allow_does_nothing(team: Any) -> None:
    put_policy(team, [], PERMISSIONS)

    plan = submit_as(team, "builder", [step("a"), python_step("b")])

    assert plan.steps.get(key="b").approval == "none"
    assert matched(plan) == {}


def test_deny_refuses_the_plan_for_any_other_role(team: Any) -> None:
    put_policy(team, [], PERMISSIONS)

    with pytest.raises(PlanInvalid) as refused:
        submit_as(team, "", [step("a"), python_step("b")])

    [problem] = refused.value.problems
    assert problem.path == "steps[1]"
    assert problem.msg.startswith("permission python/*: deny")
    assert not Plan.objects.exists()


def test_a_person_is_matched_by_their_team_role(team: Any, reviewer: Any) -> None:
    put_policy(team, [], [{"executor": "echo", "role": "reviewer", "mode": "ask"}])

    plan = services.plan_submit(
        team=team,
        actor=services.Actor.for_user(reviewer),
        submission=services.PlanSubmission(user_id="u", topic_id="t", goal="g", steps=[step("a")]),
    )

    assert plan.steps.get().approval == "required"
    assert "submitted as role reviewer" in matched(plan)["echo/reviewer"]["why"][0]
