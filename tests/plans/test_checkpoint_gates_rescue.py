"""A checkpoint keeps what a reviewer decides about a step: its gate (and who opened it), and
whether its failure holds the plan for a rescue."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from plans.models import PlanStep
from tests.conftest import ApiClient
from tests.factories import approve, step, submit_plan


def test_it_restores_gates_and_rescue_rules(api: ApiClient, team: Any, tmp_path: Path) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step("fetch", on_failure="ask"),
                step("deploy", "fetch", approval="required"),
                step("notify", "deploy", approval="required"),
            ],
        )
    )
    opened = timezone.now().replace(microsecond=0)
    PlanStep.objects.filter(plan=plan, key="deploy").update(
        gate_approved_by="user:alice", gate_approved_at=opened, gate_params_edited=True
    )
    exported = api.get(f"/plans/{plan.pk}/checkpoint").json()
    (tmp_path / "plan.json").write_text(json.dumps(exported))
    plan_id = plan.pk
    plan.delete()

    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=io.StringIO())

    steps = {s.key: s for s in PlanStep.objects.filter(plan_id=plan_id)}
    assert steps["fetch"].on_failure == "ask"
    assert (steps["deploy"].approval, steps["notify"].approval) == ("required", "required")
    assert steps["deploy"].gate_approved_by == "user:alice"
    assert steps["deploy"].gate_approved_at == opened
    assert steps["deploy"].gate_params_edited
    assert steps["notify"].gate_approved_at is None


def test_it_reads_a_checkpoint_from_before_gates_as_ungated(
    api: ApiClient, team: Any, tmp_path: Path
) -> None:
    plan = submit_plan(team, [step("fetch")])
    exported = api.get(f"/plans/{plan.pk}/checkpoint").json()
    for record in exported["steps"]:
        for field in ("approval", "gate_approved_by", "gate_approved_at", "on_failure"):
            del record[field]
    (tmp_path / "plan.json").write_text(json.dumps(exported))
    plan.delete()

    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=io.StringIO())

    restored = PlanStep.objects.get(key="fetch")
    assert (restored.approval, restored.on_failure) == ("none", "fail")
