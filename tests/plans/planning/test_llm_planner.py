"""The `llm` planner against a stand-in chat completions endpoint: first-time valid, repaired,
never valid, timeouts, rate limits and the circuit breaker, and what it costs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from plans.models import Plan, PlanEvent, StepUsage, TeamMonthSpend
from tests.conftest import ApiClient
from tests.plans.planning.standin import Reply

pytestmark = pytest.mark.django_db

GOOD = {
    "reasoning": "Count the words of the text the user gives.",
    "title": "Word count",
    "steps": [
        {
            "key": "count",
            "task": "Count the words",
            "action": "count_words",
            "inputs": {"text": {"$input": "text"}},
        }
    ],
}
# A binding to a step that does not exist, and a literal of the wrong type.
BAD = {
    "reasoning": "first try",
    "steps": [
        {
            "key": "count",
            "task": "Count",
            "action": "count_words",
            "inputs": {"text": {"$from": "fetch.result.body"}},
        },
        {"key": "add", "task": "Add", "action": "sum_numbers", "inputs": {"numbers": "1, 2"}},
    ],
}


def propose(api: ApiClient, goal: str = "Count the words of my essay", **more: Any) -> Any:
    return api.post("/plans/propose", {"goal": goal, "user_id": "u1", "topic_id": "t1", **more})


def test_a_valid_first_candidate_becomes_the_draft(api: ApiClient, llm: Any) -> None:
    server = llm(Reply(content=GOOD))
    response = propose(api, instruction="Keep it short")
    assert response.status_code == 201, response.json()
    plan = response.json()
    assert plan["title"] == "Word count"
    assert [s["key"] for s in plan["steps"]] == ["count"]
    assert [m["name"] for m in plan["missing_inputs"]] == ["text"]
    [artifact] = plan["artifacts"]
    assert artifact["summary"] == GOOD["reasoning"]
    assert artifact["parameters"]["backend"] == "llm"
    assert artifact["parameters"]["model"] == "stand-in-model"
    assert artifact["parameters"]["usage"] == {
        "input_tokens": 1000,
        "output_tokens": 200,
        "calls": 1,
    }
    # What the model was asked: the catalog, the goal, the instruction, structured output.
    [asked] = server.requests
    assert asked["path"] == "/v1/chat/completions"
    assert asked["auth"] == "Bearer sk-test-secret"
    assert asked["body"]["model"] == "stand-in-model"
    assert asked["body"]["response_format"]["type"] == "json_schema"
    assert "count_words" in asked["body"]["messages"][0]["content"]
    assert "Keep it short" in asked["body"]["messages"][1]["content"]
    # The key is never kept with the plan.
    assert "sk-test-secret" not in str(plan)


def test_its_usage_is_priced_and_counts_against_the_budgets(
    api: ApiClient, llm: Any, team: Any
) -> None:
    llm(Reply(content=GOOD))
    plan = propose(api).json()
    # 1000 tokens in at 2 per million, 200 out at 10 per million.
    cost = Decimal("0.0040")
    assert Decimal(str(plan["usage"]["spent"])) == cost
    assert plan["usage"]["input_tokens"] == 1000
    [row] = StepUsage.objects.all()
    assert (row.plan_id, row.step_id, row.model) == (
        Plan.objects.get().pk,
        None,
        "stand-in-model",
    )
    assert TeamMonthSpend.objects.get(team=team).spent == cost
    done = PlanEvent.objects.get(plan_id=plan["id"], kind="planning.done")
    assert done.data["usage"]["cost"] == "0.0040"


def test_problems_are_fed_back_and_the_repair_is_kept(api: ApiClient, llm: Any) -> None:
    server = llm(Reply(content=BAD), Reply(content=GOOD))
    response = propose(api)
    assert response.status_code == 201, response.json()
    plan = response.json()
    repairs = plan["artifacts"][0]["parameters"]["repairs"]
    assert len(repairs) == 1
    paths = [p["loc"] for p in repairs[0]["problems"]]
    assert ["steps", 0, "inputs", "text"] in paths
    assert ["steps", 1, "inputs", "numbers"] in paths
    # The second request carries the first candidate and every problem with its path.
    second = server.asked()[1]["messages"]
    assert second[-2]["role"] == "assistant"
    assert "fetch.result.body" in second[-2]["content"]
    assert "steps[0].inputs.text" in second[-1]["content"]
    assert "steps[1].inputs.numbers" in second[-1]["content"]
    kinds = list(
        PlanEvent.objects.filter(plan_id=plan["id"], kind__startswith="planning.")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "planning.started",
        "planning.candidate",
        "planning.invalid",
        "planning.candidate",
        "planning.repaired",
        "planning.done",
    ]
    assert plan["artifacts"][0]["parameters"]["usage"]["calls"] == 2


def test_an_answer_that_is_not_json_is_repaired_too(api: ApiClient, llm: Any) -> None:
    llm(Reply(content="Sure! Here is a plan: count the words."), Reply(content=GOOD))
    response = propose(api)
    assert response.status_code == 201, response.json()
    [repair] = response.json()["artifacts"][0]["parameters"]["repairs"]
    assert repair["problems"][0]["loc"] == []


def test_never_valid_is_a_422_with_the_last_problems(api: ApiClient, llm: Any, team: Any) -> None:
    server = llm(Reply(content=BAD), max_repairs=2)
    response = propose(api)
    assert response.status_code == 422
    body = response.json()
    assert body["repairs"] == 2
    paths = [p["loc"] for p in body["detail"]]
    assert ["candidate", "steps", 0, "inputs", "text"] in paths
    assert len(server.requests) == 3
    assert not Plan.objects.exists()
    # The calls cost money all the same: the team's month counts them.
    assert TeamMonthSpend.objects.get(team=team).spent == Decimal("0.0120")
    assert StepUsage.objects.filter(plan=None).count() == 3


def test_a_timeout_is_retried_then_answered_503(api: ApiClient, llm: Any) -> None:
    server = llm(Reply(content=GOOD, delay=1.5), timeout_seconds=0.3, max_attempts=2)
    response = propose(api)
    assert response.status_code == 503
    assert "did not answer within 0.3 s (2 attempts)" in response.json()["detail"]
    assert len(server.requests) == 2
    assert not Plan.objects.exists()


def test_a_rate_limit_is_waited_out(api: ApiClient, llm: Any) -> None:
    server = llm(Reply(status=429, headers={"Retry-After": "0"}), Reply(content=GOOD))
    assert propose(api).status_code == 201
    assert len(server.requests) == 2


def test_a_refusal_is_not_retried(api: ApiClient, llm: Any) -> None:
    server = llm(Reply(status=401))
    response = propose(api)
    assert response.status_code == 503
    assert "HTTP 401" in response.json()["detail"]
    assert len(server.requests) == 1


def test_the_circuit_opens_and_then_no_call_is_made(
    api: ApiClient, llm: Any, settings: Any
) -> None:
    settings.PLANGATE_BREAKER_FAILURES = 2
    settings.PLANGATE_BREAKER_COOLDOWN_SECONDS = 60
    server = llm(Reply(status=500), max_attempts=1)
    assert propose(api).status_code == 503
    assert propose(api).status_code == 503
    assert len(server.requests) == 2
    refused = propose(api)
    assert refused.status_code == 503
    assert "failed 2 times in a row" in refused.json()["detail"]
    assert "not called again until" in refused.json()["detail"]
    assert refused.headers["Retry-After"]
    assert len(server.requests) == 2


def test_the_circuit_lets_a_trial_through_after_the_cooldown(
    api: ApiClient, llm: Any, settings: Any
) -> None:
    from plans.models import ExecutorCircuit

    settings.PLANGATE_BREAKER_FAILURES = 1
    server = llm(Reply(status=500), Reply(content=GOOD), max_attempts=1)
    assert propose(api).status_code == 503
    circuit = ExecutorCircuit.objects.get(executor="planner:llm")
    assert circuit.state == "open"
    ExecutorCircuit.objects.filter(pk=circuit.pk).update(open_until=circuit.updated_at)
    assert propose(api).status_code == 201
    circuit.refresh_from_db()
    assert (circuit.state, circuit.consecutive_failures) == ("closed", 0)
    assert len(server.requests) == 2


def test_a_team_that_spent_its_month_may_not_plan_with_a_model(
    api: ApiClient, llm: Any, team: Any
) -> None:
    server = llm(Reply(content=GOOD))
    team.monthly_budget = Decimal("0.001")
    team.save()
    TeamMonthSpend.objects.create(team=team, month=_month(), spent=Decimal("0.001"))
    response = propose(api)
    assert response.status_code == 409
    assert "monthly budget" in response.json()["detail"]
    assert server.requests == []


def _month() -> str:
    from plans.budgets.holds import this_month

    return this_month()


def test_a_checkpoint_keeps_what_planning_cost(api: ApiClient, llm: Any, tmp_path: Any) -> None:
    import io
    import json

    from django.core.management import call_command

    llm(Reply(content=GOOD))
    plan = propose(api).json()
    data = api.get(f"/plans/{plan['id']}/checkpoint").json()
    [record] = data["usage"]
    assert (record["step"], record["model"], record["input_tokens"]) == (
        None,
        "stand-in-model",
        1000,
    )
    Plan.objects.filter(pk=plan["id"]).delete()
    (tmp_path / "plan.json").write_text(json.dumps(data))
    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=io.StringIO())
    restored = api.get(f"/plans/{plan['id']}").json()
    assert restored["usage"]["spent"] == plan["usage"]["spent"]
    assert StepUsage.objects.get(plan_id=plan["id"]).step_id is None
