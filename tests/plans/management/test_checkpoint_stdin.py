"""`import_checkpoint -` reads the checkpoint from standard input and prints what it restored."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest
from django.core.management import call_command

from plans import checkpoints
from plans.models import Plan
from tests.factories import step, submit_plan


def test_it_reads_standard_input(team: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(data)))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_checkpoint", "-", stdout=out, stderr=err)

    restored = Plan.objects.get()
    assert out.getvalue() == f"{restored.pk}\n"
    assert err.getvalue() == (
        f"Restored plan {restored.pk} into team acme: draft, 2 steps (0 finished, 2 to run).\n"
    )
