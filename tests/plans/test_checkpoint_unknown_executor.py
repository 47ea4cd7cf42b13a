"""Steps whose executor is not registered here are refused, naming them."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plans import checkpoints
from plans.models import Plan
from tests.factories import step, submit_plan


def test_it_refuses_executors_not_registered_here(team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c", "b")])
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    data["steps"][0]["executor"] = "gpu"
    data["steps"][2]["executor"] = "gpu"

    with pytest.raises(CommandError) as error:
        call_command("import_checkpoint", "-", stdin=io.StringIO(json.dumps(data)))

    message = str(error.value)
    assert message.startswith("executors not registered here: 'gpu' (steps 'a', 'c'); registered:")
    assert "echo" in message
    assert not Plan.objects.exists()
