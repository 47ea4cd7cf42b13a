"""The catalog planner (no model) over the default catalog, through the API."""

from __future__ import annotations

from typing import Any

import pytest

from plans.models import Plan, PlanEvent, StepUsage
from tests.conftest import ApiClient
from tests.orchestration.support import run_until_idle

pytestmark = pytest.mark.django_db


def propose(api: ApiClient, goal: str, **more: Any) -> Any:
    return api.post("/plans/propose", {"goal": goal, "user_id": "u1", "topic_id": "t1", **more})


def test_a_goal_becomes_a_draft_that_lists_what_it_lacks(api: ApiClient) -> None:
    response = propose(api, "Count the words of my essay")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["status"] == "draft"
    assert plan["goal"] == "Count the words of my essay"
    [step] = plan["steps"]
    assert step["action"] == "count_words"
    assert step["inputs"] == {"text": {"$input": "text"}}
    assert [m["name"] for m in plan["missing_inputs"]] == ["text"]
    [artifact] = plan["artifacts"]
    assert artifact["title"] == "Planning"
    assert artifact["parameters"]["backend"] == "catalog"
    assert artifact["parameters"]["repairs"] == []
    assert artifact["proposed_plan"]["steps"][0]["action"] == "count_words"
    kinds = list(
        PlanEvent.objects.filter(plan_id=plan["id"]).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["plan.created", "planning.started", "planning.candidate", "planning.done"]
    done = PlanEvent.objects.get(plan_id=plan["id"], kind="planning.done")
    assert done.data["missing_inputs"] == ["text"]
    assert done.actor.startswith("token:")


def test_known_inputs_are_bound_and_the_plan_runs(api: ApiClient, worker: Any) -> None:
    plan = propose(api, "Count the words of a text", inputs={"text": "one two three"}).json()
    assert plan["missing_inputs"] == []
    approved = api.post(f"/plans/{plan['id']}/approve", {"version": plan["version"]})
    assert approved.status_code == 200, approved.json()
    run_until_idle(worker)
    done = api.get(f"/plans/{plan['id']}").json()
    assert done["status"] == "completed"
    assert done["steps"][0]["result"] == {"words": 3}


def test_each_action_the_goal_names_gets_a_step_in_the_goals_order(api: ApiClient) -> None:
    plan = propose(api, "Add up these numbers, then count the words of the report").json()
    assert [s["action"] for s in plan["steps"]] == ["sum_numbers", "count_words"]
    assert sorted(m["name"] for m in plan["missing_inputs"]) == ["numbers", "text"]


def test_a_goal_no_action_matches_is_refused_naming_the_actions(api: ApiClient) -> None:
    response = propose(api, "Book a flight to Lisbon")
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "goal"]
    assert "count_words (Counts the words of a text.)" in problem["msg"]
    assert not Plan.objects.exists()


def test_bad_requests_list_every_problem(api: ApiClient) -> None:
    response = propose(api, "   ", actions=["count_words", "fly"])
    assert response.status_code == 422
    assert [p["loc"] for p in response.json()["detail"]] == [
        ["body", "goal"],
        ["body", "actions", 1],
    ]
    assert "unknown action 'fly'" in response.json()["detail"][1]["msg"]


def test_the_named_actions_are_the_only_ones_used(api: ApiClient) -> None:
    goal = "Add up the numbers and count the words"
    plan = propose(api, goal, actions=["count_words"]).json()
    assert [s["action"] for s in plan["steps"]] == ["count_words"]


def test_inputs_that_do_not_fit_are_the_requesters_problem(api: ApiClient) -> None:
    response = propose(api, "Count the words", inputs={"text": 5})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"][:3] == ["body", "inputs", "text"]
    assert "repairs" not in response.json() or response.json()["repairs"] is None


def test_planning_with_the_catalog_costs_nothing(api: ApiClient) -> None:
    plan = propose(api, "Count the words", inputs={"text": "a b"}).json()
    assert plan["usage"]["spent"] == 0
    assert not StepUsage.objects.exists()


def test_a_read_only_token_may_not_propose(team: Any) -> None:
    from plans import services
    from plans.models import Scope

    _, raw = services.token_create(team=team, name="ro", scopes=[Scope.READ])
    response = ApiClient(raw).post(
        "/plans/propose", {"goal": "Count the words", "user_id": "u", "topic_id": "t"}
    )
    assert response.status_code == 403
    assert "submit" in response.json()["detail"]
