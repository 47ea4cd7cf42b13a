"""A checkpoint from a newer Plangate is refused, with what to do about it."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plans import checkpoints
from plans.models import Plan
from tests.factories import submit_plan


def test_it_refuses_a_newer_schema_version(team: Any) -> None:
    plan = submit_plan(team)
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    # Whatever else a newer version changed, the version alone decides.
    data = {**data, "schema_version": 7, "something_new": True}

    with pytest.raises(CommandError) as error:
        call_command("import_checkpoint", "-", stdin=io.StringIO(json.dumps(data)))

    assert str(error.value) == (
        "checkpoint schema version 7 is newer than this Plangate understands (1); upgrade Plangate"
    )
    assert not Plan.objects.exists()
