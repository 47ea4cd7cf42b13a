"""A plan of PLANGATE_MAX_STEPS (10,000 by default) steps is accepted, in dependency order."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from plans.validation import topological_order
from tests.factories import step

STEPS = 10_000


def test_it_accepts_ten_thousand_steps_listed_against_their_dependencies(api: Any) -> None:
    # A chain listed last step first: every step waits for the one listed after it.
    steps = [
        {"key": f"s{i}", "task": "t", **({"depends_on": [f"s{i - 1}"]} if i else {})}
        for i in reversed(range(STEPS))
    ]
    response = api.post("/plans", {"goal": "g", "user_id": "u", "topic_id": "t", "steps": steps})

    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert [s["key"] for s in body["steps"]] == [f"s{i}" for i in range(STEPS)]
    assert body["steps"][-1]["depends_on"] == [f"s{STEPS - 2}"]
    plan = Plan.objects.get(pk=body["id"])
    assert plan.steps.count() == STEPS


def test_one_step_more_than_the_limit_is_refused(api: Any, settings: Any) -> None:
    settings.PLANGATE_MAX_STEPS = 3
    steps = [{"key": f"s{i}", "task": "t"} for i in range(4)]
    response = api.post("/plans", {"goal": "g", "user_id": "u", "topic_id": "t", "steps": steps})
    assert response.status_code == 422
    assert "3" in response.content.decode()


def test_dependency_order_takes_ready_steps_round_by_round_in_submission_order() -> None:
    drafts = [step("d", "b", "c"), step("c", "a"), step("b"), step("a"), step("e", "d")]
    assert [s.key for s in topological_order(drafts)] == ["b", "a", "c", "d", "e"]
