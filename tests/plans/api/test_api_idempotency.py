"""Idempotency-Key on plan submission: replays, conflicts, and concurrent duplicates."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from plans import services
from plans.models import Plan
from tests.conftest import ApiClient

BODY = {"goal": "g", "user_id": "u", "topic_id": "t", "steps": [{"key": "a", "task": "x"}]}


def test_the_same_key_and_body_return_the_original_response(api: ApiClient) -> None:
    first = api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"})
    again = api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Plan.objects.count() == 1


def test_it_marks_a_replay_with_the_idempotent_replayed_header(api: ApiClient) -> None:
    first = api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"})
    again = api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"})
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.post("/plans", BODY, headers={"Idempotency-Key": "req-2"})
    assert "Idempotent-Replayed" not in other.headers


def test_key_order_and_whitespace_in_the_body_do_not_matter(api: ApiClient) -> None:
    first = api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"})
    reordered = '{"topic_id":"t", "steps":[{"task":"x","key":"a"}], "user_id":"u", "goal":"g"}'
    again = api.post("/plans", reordered, headers={"Idempotency-Key": "req-1"})
    assert again.json()["id"] == first.json()["id"]


def test_the_same_key_with_another_body_is_refused(api: ApiClient) -> None:
    api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"})
    response = api.post("/plans", {**BODY, "goal": "other"}, headers={"Idempotency-Key": "req-1"})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["header", "Idempotency-Key"]
    assert "different request body" in problem["msg"]
    assert Plan.objects.count() == 1


def test_keys_are_per_team(api: ApiClient, other_api: ApiClient) -> None:
    mine = api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"}).json()
    theirs = other_api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"}).json()
    assert mine["id"] != theirs["id"]
    assert Plan.objects.count() == 2


def test_a_refused_plan_does_not_use_up_the_key(api: ApiClient) -> None:
    bad = api.post("/plans", {**BODY, "goal": ""}, headers={"Idempotency-Key": "req-1"})
    assert bad.status_code == 422
    good = api.post("/plans", BODY, headers={"Idempotency-Key": "req-1"})
    assert good.status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_plan(team: Any) -> None:
    _, raw = services.token_create(team=team)
    barrier = threading.Barrier(6)
    answers: list[Any] = []

    def submit() -> None:
        try:
            client = ApiClient(raw)
            barrier.wait()
            answers.append(client.post("/plans", BODY, headers={"Idempotency-Key": "same"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 6
    assert len({a.json()["id"] for a in answers}) == 1
    assert Plan.objects.count() == 1
