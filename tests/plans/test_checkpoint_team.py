"""A checkpoint goes back into the team it names, or the one given with --team, if it exists."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plans import checkpoints
from plans.models import Plan
from tests.factories import submit_plan


@pytest.fixture
def exported(team: Any) -> str:
    plan = submit_plan(team)
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    return json.dumps(data)


def test_it_refuses_a_team_that_does_not_exist_here(exported: str) -> None:
    data = json.loads(exported)
    data["plan"]["team"] = "initech"

    with pytest.raises(CommandError) as error:
        call_command("import_checkpoint", "-", stdin=io.StringIO(json.dumps(data)))

    assert str(error.value) == (
        "no team named 'initech' here; create it, or restore the plan into another team (--team)"
    )
    assert not Plan.objects.exists()


def test_it_refuses_an_unknown_team_option(exported: str) -> None:
    with pytest.raises(CommandError, match="no team named 'nobody'"):
        call_command("import_checkpoint", "-", "--team", "nobody", stdin=io.StringIO(exported))
    assert not Plan.objects.exists()


def test_it_restores_into_the_team_given(exported: str, other_team: Any) -> None:
    call_command(
        "import_checkpoint",
        "-",
        "--team",
        "globex",
        stdin=io.StringIO(exported),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert Plan.objects.get().team == other_team
