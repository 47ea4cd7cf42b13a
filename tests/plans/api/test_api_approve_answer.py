"""The answer to an approval is the plan as the approval left it, even when a worker starts the
plan the moment the approval commits."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from orchestration.engine import queue
from plans import services
from tests.conftest import ApiClient
from tests.factories import WORKER

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_approval_answers_with_the_plan_it_approved_though_a_worker_starts_it_at_once(
    api: ApiClient, monkeypatch: Any
) -> None:
    steps = [{"key": f"s{i}", "task": f"Step {i}"} for i in range(3)]
    plan = api.post(
        "/plans", {"goal": "Ship", "user_id": "u1", "topic_id": "t1", "steps": steps}
    ).json()
    starts: list[Any] = []

    def a_worker_wakes(payload: str = "") -> None:
        # What a listening worker does on the approval's notification, at its commit.
        transaction.on_commit(
            lambda: starts.append(
                queue.plan_start_next(actor=WORKER, slots=queue.Slots("eager", 8, 60))
            )
        )

    monkeypatch.setattr(services, "notify_workers", a_worker_wakes)

    approved = api.post(f"/plans/{plan['id']}/approve", {"version": plan["version"]})

    assert approved.status_code == 200, approved.content[:500]
    assert starts and starts[0] is not None, "the worker did not start the plan"
    answer = approved.json()
    assert answer["status"] == "approved"
    assert [(s["key"], s["status"], s["started_at"]) for s in answer["steps"]] == [
        (f"s{i}", "pending", None) for i in range(3)
    ]
    # The plan itself went on at once.
    read = api.get(f"/plans/{plan['id']}").json()
    assert read["status"] == "executing"
    assert {s["status"] for s in read["steps"]} == {"in_progress"}
