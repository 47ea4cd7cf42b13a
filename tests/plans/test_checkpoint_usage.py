"""A checkpoint keeps what the plan spent: its usage records by step, its `spent` and why its
budget holds it. A restored held plan shows the same spending and can be raised and resumed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from plans import checkpoints
from plans.models import Plan, StepUsage
from tests.conftest import ApiClient
from tests.plans.budgets.support import held_plan


def restore(data: dict[str, Any], tmp_path: Path) -> str:
    (tmp_path / "plan.json").write_text(json.dumps(data))
    out = io.StringIO()
    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_a_held_plan_comes_back_held_with_its_usage(
    api: ApiClient, team: Any, tmp_path: Path
) -> None:
    plan = held_plan(team, budget="1.50")
    StepUsage.objects.filter(plan=plan, step__key="b").update(
        model="small", input_tokens=1200, output_tokens=300, units={"searches": 2}
    )
    before = api.get(f"/plans/{plan.pk}").json()
    data = api.get(f"/plans/{plan.pk}/checkpoint").json()
    plan_id = str(plan.pk)
    plan.delete()

    assert restore(data, tmp_path) == plan_id

    assert data["plan"]["spent"] == "2.0000"
    assert data["plan"]["hold_reason"] == "budget reached: 2.00 of 1.50"
    assert [(u["step"], u["attempt"], u["cost"]) for u in data["usage"]] == [
        ("a", 1, "1.0000"),
        ("b", 1, "1.0000"),
    ]
    after = api.get(f"/plans/{plan_id}").json()
    assert after["usage"] == before["usage"]
    assert [s["usage"] for s in after["steps"]] == [s["usage"] for s in before["steps"]]
    row = StepUsage.objects.get(plan_id=plan_id, step__key="b")
    assert (row.model, row.input_tokens, row.output_tokens, row.units) == (
        "small",
        1200,
        300,
        {"searches": 2},
    )
    assert (row.cost_source, row.team_id) == ("executor", team.pk)
    assert row.created_at.isoformat() == data["usage"][1]["created_at"]
    again = api.get(f"/plans/{plan_id}/checkpoint").json()
    assert {**again, "exported_at": None} == {**data, "exported_at": None}

    raised = api.post(f"/plans/{plan_id}/budget", {"version": after["version"], "budget": 5})
    assert raised.status_code == 200, raised.json()
    assert raised.json()["status"] == "executing"
    assert raised.json()["usage"]["hold_reason"] == ""


def test_an_older_checkpoint_without_usage_restores_with_nothing_spent(team: Any) -> None:
    plan = held_plan(team)
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    del data["usage"]
    for name in ("spent", "hold_reason", "inputs"):
        del data["plan"][name]
    for record in data["steps"]:
        del record["action"], record["inputs"]

    restored = checkpoints.checkpoint_restore(data)

    restored = Plan.objects.get(pk=restored.pk)
    assert (restored.spent, restored.hold_reason, restored.inputs) == (0, "", {})
    assert not StepUsage.objects.filter(plan=restored).exists()
    assert {s.action for s in restored.steps.all()} == {""}


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(checkpoints.CheckpointInvalid) as error:
        checkpoints.checkpoint_restore(data)
    assert not Plan.objects.exists()
    return {p.path: p.msg for p in error.value.problems}


def test_usage_of_an_unknown_step_or_source_is_refused(team: Any) -> None:
    plan = held_plan(team)
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()

    unknown = json.loads(json.dumps(data))
    unknown["usage"][0]["step"] = "ghost"
    assert problems(unknown) == {"usage[0].step": "no step 'ghost' in the checkpoint"}

    data["usage"][1]["cost_source"] = "guessed"
    data["usage"][1]["month"] = "2026-13"
    found = problems(data)
    assert found["usage[1].cost_source"].startswith("must be one of 'executor'")
    assert found["usage[1].month"].startswith("String should match pattern")
