"""Reading a plan's missing inputs out of a message: returned for confirmation, never applied."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan, StepUsage
from tests.conftest import ApiClient
from tests.plans.planning.standin import Reply

pytestmark = pytest.mark.django_db


def proposed(api: ApiClient, goal: str) -> dict[str, Any]:
    response = api.post("/plans/propose", {"goal": goal, "user_id": "u", "topic_id": "t"})
    assert response.status_code == 201, response.json()
    return response.json()


def parse(api: ApiClient, plan: dict[str, Any], message: str) -> Any:
    return api.post(f"/plans/{plan['id']}/inputs/parse", {"message": message})


def test_values_are_read_but_not_applied(api: ApiClient) -> None:
    plan = proposed(api, "Count the words of a text")
    response = parse(api, plan, 'Please count "the quick brown fox" for me')
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "values": {"text": "the quick brown fox"},
        "missing": [],
        "notes": [],
    }
    again = api.get(f"/plans/{plan['id']}").json()
    assert again["version"] == plan["version"]
    assert [m["name"] for m in again["missing_inputs"]] == ["text"]
    assert Plan.objects.get().inputs == {}


def test_confirmed_values_are_supplied_as_a_revision(api: ApiClient) -> None:
    plan = proposed(api, "Add up the numbers")
    values = parse(api, plan, "add 4, 5.5 and -2").json()["values"]
    assert values == {"numbers": [4, 5.5, -2]}
    supplied = api.post(
        f"/plans/{plan['id']}/inputs", {"version": plan["version"], "values": values}
    )
    assert supplied.status_code == 200
    assert supplied.json()["missing_inputs"] == []
    assert supplied.json()["version"] == plan["version"] + 1


def test_named_values_are_read_by_name_and_the_rest_noted(api: ApiClient) -> None:
    plan = proposed(api, "Count the words, and add up the numbers")
    response = parse(api, plan, "numbers: 1, 2, 3")
    assert response.json()["values"] == {"numbers": [1, 2, 3]}
    assert response.json()["missing"] == ["text"]
    assert response.json()["notes"] == ["no value for text in the message"]


def test_a_plan_that_lacks_nothing_says_so(api: ApiClient) -> None:
    response = api.post(
        "/plans/propose",
        {"goal": "Count the words", "user_id": "u", "topic_id": "t", "inputs": {"text": "a"}},
    )
    answer = parse(api, response.json(), "text: b").json()
    assert answer == {"values": {}, "missing": [], "notes": ["the plan lacks no input"]}


def test_an_empty_message_is_refused(api: ApiClient) -> None:
    plan = proposed(api, "Count the words")
    response = parse(api, plan, "   ")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "message"]


def test_another_teams_plan_is_not_found(api: ApiClient, other_api: ApiClient) -> None:
    plan = proposed(api, "Count the words")
    assert parse(other_api, plan, "text: x").status_code == 404


def test_the_model_reads_values_and_those_that_do_not_fit_are_left_out(
    api: ApiClient, llm: Any
) -> None:
    plan = proposed(api, "Count the words, and add up the numbers")
    server = llm(Reply(content={"values": {"text": "hello world", "numbers": "seven"}}))
    response = parse(api, plan, "Count hello world, and add seven")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["values"] == {"text": "hello world"}
    assert body["missing"] == ["numbers"]
    assert body["notes"] == ["numbers: 'seven' is not of type 'array': left out"]
    # The model was told which inputs to read, with their schemas.
    system = server.asked()[0]["messages"][0]["content"]
    assert '"name": "numbers"' in system and '"name": "text"' in system
    # Its usage counts against the plan; the plan's inputs are untouched.
    assert StepUsage.objects.filter(plan_id=plan["id"], step=None).count() == 1
    assert Plan.objects.get().inputs == {}


def test_a_model_that_cannot_be_reached_is_a_503(api: ApiClient, llm: Any) -> None:
    plan = proposed(api, "Count the words")
    llm(Reply(status=502), max_attempts=1)
    response = parse(api, plan, "text: x")
    assert response.status_code == 503
    assert "HTTP 502" in response.json()["detail"]
