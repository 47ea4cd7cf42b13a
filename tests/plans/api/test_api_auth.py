"""Bearer-token authentication and tenant isolation on every endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.models import ApiToken, Plan
from tests.conftest import ApiClient
from tests.factories import step, submit_plan

PLAN_BODY = {"goal": "g", "user_id": "u", "topic_id": "t", "steps": [{"key": "a", "task": "x"}]}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer nonsense", "Bearer pgt_abc_def", "Token something", "Basic YTpi"],
)
def test_it_refuses_requests_without_a_valid_token(db: Any, authorization: str | None) -> None:
    from django.test import Client

    headers = {"Authorization": authorization} if authorization else {}
    response = Client().get("/api/v1/plans", headers=headers)
    assert response.status_code == 401


def test_it_refuses_a_revoked_token(team: Any) -> None:
    token, raw = services.token_create(team=team)
    client = ApiClient(raw)
    assert client.get("/plans").status_code == 200
    services.token_revoke(token=token)
    assert client.get("/plans").status_code == 401


def test_it_stores_only_a_hash_of_the_token(team: Any) -> None:
    token, raw = services.token_create(team=team)
    stored = ApiToken.objects.get(pk=token.pk)
    secret_part = raw.rsplit("_", 1)[1]
    assert secret_part not in stored.hashed_secret
    assert raw.startswith(f"pgt_{stored.prefix}_")
    assert len(stored.hashed_secret) == 64


def test_a_forged_secret_with_a_real_prefix_is_refused(team: Any) -> None:
    _, raw = services.token_create(team=team)
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert ApiClient(forged).get("/plans").status_code == 401


def test_it_lists_only_the_tokens_team_plans(api: ApiClient, team: Any, other_team: Any) -> None:
    mine = submit_plan(team)
    submit_plan(other_team)
    response = api.get("/plans")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [str(mine.pk)]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("get", "/events", None),
        ("post", "/approve", {"version": 1}),
        ("post", "/cancel", {"reason": "mine now"}),
        ("post", "/steps/a/skip", {"reason": "mine now"}),
        ("post", "/artifacts", {"title": "x"}),
    ],
)
def test_another_teams_plan_is_not_found(
    other_api: ApiClient, team: Any, method: str, suffix: str, body: Any
) -> None:
    plan = submit_plan(team, [step("a")])
    path = f"/plans/{plan.pk}{suffix}"
    response = other_api.get(path) if method == "get" else other_api.post(path, body)
    assert response.status_code == 404
    plan.refresh_from_db()
    assert (plan.status, plan.version, plan.events.count()) == ("draft", 1, 1)


def test_a_token_creates_plans_in_its_own_team(api: ApiClient, team: Any) -> None:
    response = api.post("/plans", PLAN_BODY)
    assert response.status_code == 201
    assert Plan.objects.get(pk=response.json()["id"]).team == team
