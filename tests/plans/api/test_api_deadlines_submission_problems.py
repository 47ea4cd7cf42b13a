"""A submission's deadlines are checked with the rest of it: every problem at once, with its
path."""

from __future__ import annotations

import pytest

from plans.models import Plan

pytestmark = pytest.mark.django_db


def _body(**fields):
    steps = fields.pop(
        "steps",
        [
            {"key": "build", "task": "Build"},
            {"key": "deploy", "task": "Deploy", "depends_on": ["build"], "approval": "required"},
        ],
    )
    return {"goal": "Deploy", "user_id": "u", "topic_id": "t", "steps": steps, **fields}


def _problems(answer):
    assert answer.status_code == 422, answer.json()
    return {tuple(p["loc"]): p["msg"] for p in answer.json()["detail"]}


def test_it_lists_every_deadline_problem_with_its_path(api):
    answer = api.post(
        "/plans",
        _body(
            decision_deadline="2001-01-01T00:00:00Z",
            steps=[
                {"key": "build", "task": "Build", "decision_deadline": 60, "on_timeout": "skip"},
                {
                    "key": "deploy",
                    "task": "Deploy",
                    "approval": "required",
                    "decision_deadline": "next week",
                },
            ],
        ),
    )
    problems = _problems(answer)
    assert "passed" in problems[("body", "decision_deadline")]
    assert "only a gate" in problems[("body", "steps", 0, "decision_deadline")]
    assert "only a gate" in problems[("body", "steps", 0, "on_timeout")]
    assert "ISO 8601" in problems[("body", "steps", 1, "decision_deadline")]
    assert not Plan.objects.exists()


def test_it_refuses_skip_for_a_plan(api):
    problems = _problems(api.post("/plans", _body(decision_deadline=60, on_timeout="skip")))
    assert "'cancel', 'escalate', 'approve'" in problems[("body", "on_timeout")]


def test_it_refuses_approve_unless_the_team_allows_it(api, team):
    problems = _problems(api.post("/plans", _body(decision_deadline=60, on_timeout="approve")))
    assert "allow_approve_on_timeout" in problems[("body", "on_timeout")]

    team.allow_approve_on_timeout = True
    team.save()
    answer = api.post("/plans", _body(decision_deadline=60, on_timeout="approve"))
    assert answer.status_code == 201, answer.json()
    assert answer.json()["decision_deadline"]["on_timeout"] == "approve"


def test_it_refuses_a_time_without_a_zone(api):
    problems = _problems(api.post("/plans", _body(decision_deadline="2099-01-01T00:00:00")))
    assert "time zone" in problems[("body", "decision_deadline")]


def test_it_lists_deadline_problems_beside_the_body_errors(api):
    answer = api.post("/plans", _body(decision_deadline=-1, title=5))
    problems = _problems(answer)
    assert ("body", "title") in problems
    assert "positive" in problems[("body", "decision_deadline")]
