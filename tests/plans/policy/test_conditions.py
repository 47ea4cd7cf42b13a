"""Each part of a rule's condition, at submission: a forbid rule with only that part refuses the
plans it holds for and lets the others through; step parts name the steps they matched."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.models import Plan, Scope
from plans.validation import PlanInvalid
from tests.factories import step, submit_plan
from tests.plans.policy.support import put_policy, rule

HTTP = {"url": "https://prod.example.com/deploy", "method": "POST", "retries": 3}


@pytest.fixture(autouse=True)
def allowed_urls(settings: Any) -> None:
    settings.PLANGATE_HTTP_ALLOWED_URLS = [HTTP["url"], "https://dev.x"]


def steps_using_http() -> list[Any]:
    return [step("plan"), step("call", "plan", executor="http", params=HTTP)]


CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    # (name, condition, submission that holds, submission that does not)
    ("executor_in", {"executor_in": ["http"]}, {"steps": steps_using_http()}, {}),
    (
        "executors_within",
        {"executors_within": ["echo"]},
        {},
        {"steps": steps_using_http()},
    ),
    (
        "params equals",
        {"params": {"$.method": {"equals": "POST"}}},
        {"steps": steps_using_http()},
        {},
    ),
    (
        "params in",
        {"params": {"$.method": {"in": ["PUT", "POST"]}}},
        {"steps": steps_using_http()},
        {"steps": [step("call", executor="http", params={**HTTP, "method": "GET"})]},
    ),
    (
        "params matches",
        {"params": {"$.url": {"matches": r"^https://prod\."}}},
        {"steps": steps_using_http()},
        {"steps": [step("call", executor="http", params={**HTTP, "url": "https://dev.x"})]},
    ),
    (
        "params gt",
        {"params": {"$.retries": {"gt": 2}}},
        {"steps": steps_using_http()},
        {"steps": [step("call", executor="http", params={**HTTP, "retries": 2})]},
    ),
    (
        "params lte",
        {"params": {"$.retries": {"lte": 1}}},
        {"steps": [step("call", executor="http", params={**HTTP, "retries": 1})]},
        {"steps": steps_using_http()},
    ),
    ("tags_any", {"tags_any": ["prod", "payments"]}, {"tags": ["payments"]}, {"tags": ["dev"]}),
    (
        "steps",
        {"steps": {"gte": 3}},
        {"steps": [step("a"), step("b"), step("c")]},
        {"steps": [step("a"), step("b")]},
    ),
    ("user_id", {"user_id": {"in": ["mallory"]}}, {"user_id": "mallory"}, {"user_id": "alice"}),
    (
        "topic_id",
        {"topic_id": {"matches": "^billing-"}},
        {"topic_id": "billing-42"},
        {"topic_id": "search-1"},
    ),
    (
        "estimated_cost",
        {"estimated_cost": {"gt": 10}},
        {"steps": [step("a", estimated_cost=6), step("b", estimated_cost="4.5")]},
        {"steps": [step("a", estimated_cost=6), step("b", estimated_cost=4)]},
    ),
]


@pytest.mark.parametrize(("name", "when", "holds", "does_not"), CASES, ids=[c[0] for c in CASES])
def test_it_refuses_only_the_plans_a_condition_holds_for(
    team: Any, name: str, when: dict[str, Any], holds: dict[str, Any], does_not: dict[str, Any]
) -> None:
    put_policy(team, [rule("stop", "forbid", when, reason="not here")])

    with pytest.raises(PlanInvalid) as refused:
        submit_plan(team, **holds)
    assert "forbidden by rule 'stop': not here" in str(refused.value)
    assert not Plan.objects.exists()

    submit_plan(team, **does_not)
    assert Plan.objects.count() == 1


def test_it_names_the_steps_a_step_condition_matched(team: Any, api: Any) -> None:
    put_policy(team, [rule("no-prod-posts", "forbid", {"params": {"$.url": {"matches": "prod"}}})])

    refused = api.post(
        "/plans",
        {
            "user_id": "u",
            "topic_id": "t",
            "goal": "g",
            "steps": [
                {"key": "plan", "task": "think", "executor": "echo"},
                {"key": "call", "task": "post", "executor": "http", "params": HTTP},
            ],
        },
    )

    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "steps", 1]
    assert problem["msg"].startswith("forbidden by rule 'no-prod-posts'")
    assert "call: params $.url 'https://prod.example.com/deploy' matches 'prod'" in problem["msg"]
    assert not Plan.objects.exists()


def test_every_part_of_a_condition_must_hold(team: Any) -> None:
    put_policy(team, [rule("stop", "forbid", {"executor_in": ["http"], "tags_any": ["prod"]})])

    submit_plan(team, steps_using_http(), tags=["dev"])
    submit_plan(team, tags=["prod"])
    with pytest.raises(PlanInvalid):
        submit_plan(team, steps_using_http(), tags=["prod"])


def test_a_token_condition_matches_the_submitting_tokens_name_or_prefix(team: Any) -> None:
    ci, _ = services.token_create(team=team, name="ci-bot", scopes=[Scope.SUBMIT.value])
    other, _ = services.token_create(team=team, name="notebook", scopes=[Scope.SUBMIT.value])
    put_policy(
        team,
        [
            rule("ci", "forbid", {"token": {"name": {"equals": "ci-bot"}}}),
            rule("by-prefix", "forbid", {"token": {"prefix": other.prefix[:8]}}),
        ],
    )

    def submit(token: Any) -> None:
        services.plan_submit(
            team=team,
            actor=services.Actor.for_token(token),
            submission=services.PlanSubmission(
                user_id="u", topic_id="t", goal="g", steps=[step("a")]
            ),
        )

    with pytest.raises(PlanInvalid, match="rule 'ci'"):
        submit(ci)
    with pytest.raises(PlanInvalid, match="rule 'by-prefix'"):
        submit(other)
    submit_plan(team)  # no token: neither holds
