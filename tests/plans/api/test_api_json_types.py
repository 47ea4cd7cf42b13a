"""A request body's numbers and booleans are taken as the OpenAPI document types them: `true` is
not the version 1, `"3"` is not 3 attempts. Each is refused in one 422 with its path."""

from __future__ import annotations

from typing import Any

from plans.models import Plan, PolicyVersion
from tests.conftest import ApiClient
from tests.factories import step, submit_plan


def problems(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.content[:500]
    return [(".".join(map(str, p["loc"][1:])), p["type"]) for p in response.json()["detail"]]


def test_a_plans_numbers_and_booleans_are_not_taken_from_other_json_types(api: ApiClient) -> None:
    body = {
        "goal": "g",
        "user_id": "u",
        "topic_id": "t",
        "max_concurrency": "4",
        "required_approvals": True,
        "budget": False,
        "steps": [{"key": "a", "task": "t", "max_attempts": "2", "timeout_seconds": True}],
    }

    assert problems(api.post("/plans", body)) == [
        ("steps.0.max_attempts", "int_type"),
        ("steps.0.timeout_seconds", "float_type"),
        ("max_concurrency", "int_type"),
        ("required_approvals", "int_type"),
        ("budget", "float_type"),
    ]
    assert not Plan.objects.exists()


def test_a_version_is_an_integer_not_a_boolean(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("a")])

    assert problems(api.post(f"/plans/{plan.pk}/approve", {"version": True})) == [
        ("version", "int_type")
    ]
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_a_policy_is_not_put_on_a_base_version_of_false(api: ApiClient) -> None:
    answer = api.put("/policy", {"base_version": False, "rules": []})

    assert problems(answer) == [("base_version", "int_type")]
    assert not PolicyVersion.objects.exists()


def test_numbers_in_their_json_types_are_taken(api: ApiClient) -> None:
    body = {
        "goal": "g",
        "user_id": "u",
        "topic_id": "t",
        "max_concurrency": 4,
        "budget": 10,
        "steps": [
            {"key": "a", "task": "t", "timeout_seconds": 5},
            {"key": "b", "task": "t", "approval": "required", "decision_deadline": 60.5},
        ],
    }
    answer = api.post("/plans", body)
    assert answer.status_code == 201, answer.content[:500]
    assert Plan.objects.get().max_concurrency == 4
    assert Plan.objects.get().budget == 10
