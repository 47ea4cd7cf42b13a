"""A step's guardrails, quality gate, recovery recipes and expected cost, and a plan's budget, are
kept as submitted: in the API's answer, in the revision a reviewer approves, and in a checkpoint."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management import call_command

from plans.models import Plan, PlanRevision, PlanStep
from tests.conftest import ApiClient

CHECKED_STEP = {
    "key": "ask",
    "task": "ask the model",
    "executor": "echo",
    "guardrails": {"output": [{"max_bytes": 1000}]},
    "quality": {"path": "score", "min": 0.5},
    "recover": {"timeout": {"recipe": "retry"}},
    "estimated_cost": 1.25,
}


def submit(api: ApiClient, **extra: Any) -> dict[str, Any]:
    body = {
        "goal": "Answer",
        "user_id": "u",
        "topic_id": "t",
        "steps": [CHECKED_STEP, {"key": "plain", "task": "plain", "executor": "echo"}],
        **extra,
    }
    response = api.post("/plans", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_the_api_returns_what_was_submitted(api: ApiClient) -> None:
    plan = submit(api, budget=5)

    assert plan["budget"] == 5.0
    ask, plain = plan["steps"]
    assert ask["guardrails"] == {"output": [{"max_bytes": 1000}]}
    assert ask["quality"] == {"path": "score", "min": 0.5}
    assert ask["recover"] == {"timeout": {"recipe": "retry"}}
    assert ask["estimated_cost"] == 1.25
    assert plain["guardrails"] is None and plain["estimated_cost"] is None


def test_the_revision_a_reviewer_approves_holds_them(api: ApiClient) -> None:
    plan = submit(api, budget=5)

    content = PlanRevision.objects.get(plan_id=plan["id"], version=1).content
    assert content["budget"] == 5.0
    ask, plain = content["steps"]
    assert ask["estimated_cost"] == 1.25
    assert ask["recover"] == {"timeout": {"recipe": "retry"}}
    # A step without them keeps the content it always had.
    assert "guardrails" not in plain and "estimated_cost" not in plain


def test_a_bad_budget_or_cost_is_refused_with_its_path(api: ApiClient) -> None:
    step = {**CHECKED_STEP, "estimated_cost": -1}
    response = api.post(
        "/plans",
        {"goal": "g", "user_id": "u", "topic_id": "t", "steps": [step], "budget": 0},
    )

    assert response.status_code == 422
    paths = {tuple(e["loc"][-3:]) for e in response.json()["detail"]}
    assert ("steps", 0, "estimated_cost") in paths
    assert any(p[-1] == "budget" for p in paths)
    assert not Plan.objects.exists()


def test_a_checkpoint_keeps_them(api: ApiClient, tmp_path: Path) -> None:
    plan = submit(api, budget=5)
    PlanStep.objects.filter(plan_id=plan["id"], key="ask").update(asks_reviewer=True)
    before = api.get(f"/plans/{plan['id']}/checkpoint").json()
    (tmp_path / "plan.json").write_text(json.dumps(before))
    Plan.objects.filter(pk=plan["id"]).delete()

    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=io.StringIO())

    after = api.get(f"/plans/{plan['id']}/checkpoint").json()
    assert {**after, "exported_at": None} == {**before, "exported_at": None}
    restored = PlanStep.objects.get(plan_id=plan["id"], key="ask")
    assert restored.recover == {"timeout": {"recipe": "retry"}}
    assert restored.asks_reviewer is True
    assert str(Plan.objects.get(pk=plan["id"]).budget) == "5.0000"
