"""`export_checkpoint` writes what the API's checkpoint answers, and import_checkpoint restores
it; an unknown plan is refused."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plans.models import Plan
from tests.conftest import ApiClient
from tests.plans.budgets.support import held_plan


def test_it_writes_the_checkpoint_and_import_restores_it(
    api: ApiClient, team: Any, tmp_path: Path
) -> None:
    plan = held_plan(team)
    out = io.StringIO()
    call_command("export_checkpoint", str(plan.pk), stdout=out)
    call_command("export_checkpoint", str(plan.pk), "-o", str(tmp_path / "plan.json"))

    written = json.loads(out.getvalue())
    assert json.loads((tmp_path / "plan.json").read_text()) | {"exported_at": None} == (
        written | {"exported_at": None}
    )
    assert written | {"exported_at": None} == (
        api.get(f"/plans/{plan.pk}/checkpoint").json() | {"exported_at": None}
    )
    plan_id = plan.pk
    plan.delete()
    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=io.StringIO())
    restored = Plan.objects.get(pk=plan_id)
    assert (restored.status, str(restored.spent)) == ("needs_attention", "2.0000")


def test_it_refuses_what_is_not_a_plan(db: Any) -> None:
    missing = uuid.uuid4()
    with pytest.raises(CommandError, match=f"no plan {missing}"):
        call_command("export_checkpoint", str(missing))
    with pytest.raises(CommandError, match="'nope' is not a plan id"):
        call_command("export_checkpoint", "nope")
