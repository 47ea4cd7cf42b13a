"""A checkpoint keeps what a recovery switched a step to, and which recipes it used."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from executors.protocol import FailureClass, StepOutcome
from plans import services
from plans.models import PlanStep
from tests.conftest import ApiClient
from tests.factories import approve, claim, finish, step, submit_plan

FALLBACK = {"recipe": "fallback", "executor": "python", "params": {"function": "word_count"}}


def exported_after_a_fallback(api: ApiClient, team: Any) -> tuple[Any, dict[str, Any]]:
    plan = approve(submit_plan(team, [step("a", params={"v": 1}, recover={"timeout": FALLBACK})]))
    services.plan_start(plan=plan, actor=services.SYSTEM)
    finish(claim(plan, "a"), StepOutcome.failure("slow", FailureClass.TIMEOUT))
    return plan, api.get(f"/plans/{plan.pk}/checkpoint").json()


def test_it_restores_what_a_recovery_switched_the_step_to(
    api: ApiClient, team: Any, tmp_path: Path
) -> None:
    plan, exported = exported_after_a_fallback(api, team)
    (tmp_path / "plan.json").write_text(json.dumps(exported))
    plan_id = plan.pk
    plan.delete()

    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=io.StringIO())

    a = PlanStep.objects.get(plan_id=plan_id, key="a")
    assert (a.executor, a.params) == ("echo", {"v": 1})
    assert (a.run_executor, a.run_params) == ("python", {"function": "word_count"})
    assert a.recoveries == ["step:timeout"]


def test_it_refuses_a_fallback_executor_not_registered_here(
    api: ApiClient, team: Any, tmp_path: Path, settings: Any
) -> None:
    plan, exported = exported_after_a_fallback(api, team)
    (tmp_path / "plan.json").write_text(json.dumps(exported))
    plan.delete()
    settings.PLANGATE_EXECUTORS = {
        k: v for k, v in settings.PLANGATE_EXECUTORS.items() if k != "python"
    }

    with pytest.raises(Exception, match="executors not registered here: 'python'"):
        call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=io.StringIO())
