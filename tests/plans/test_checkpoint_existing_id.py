"""A checkpoint of a plan that exists here is refused, unless restored under a new id."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plans import checkpoints
from plans.models import Plan, PlanStep
from tests.factories import step, submit_plan


def test_it_refuses_an_id_that_exists(team: Any) -> None:
    plan = submit_plan(team)
    data = json.dumps(checkpoints.checkpoint_for_plan(plan))

    with pytest.raises(CommandError) as error:
        call_command("import_checkpoint", "-", stdin=io.StringIO(data))

    assert str(error.value) == (
        f"plan {plan.pk} already exists; restore the checkpoint as a new plan (--new-id)"
    )
    assert Plan.objects.count() == 1
    assert plan.events.count() == 1  # plan.created only


def test_with_new_id_it_restores_a_copy(team: Any) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    PlanStep.objects.filter(plan=plan, key="a").update(status="completed", result="done")
    data = json.dumps(checkpoints.checkpoint_for_plan(plan))
    out = io.StringIO()

    call_command(
        "import_checkpoint",
        "-",
        "--new-id",
        stdin=io.StringIO(data),
        stdout=out,
        stderr=io.StringIO(),
    )

    copy = Plan.objects.get(pk=out.getvalue().strip())
    assert copy.pk != plan.pk
    assert (copy.team, copy.goal, copy.status) == (team, plan.goal, "draft")
    steps = {s.key: s for s in copy.steps.all()}
    assert (steps["a"].status, steps["a"].result) == ("completed", "done")
    assert [d.key for d in steps["b"].depends_on.all()] == ["a"]
    # The original is untouched.
    assert PlanStep.objects.filter(plan=plan).count() == 2
