"""A fan-out step's for_each is checked on import as at submission, with the JSON path of each
problem: a restored plan never waits forever on items nothing lets go, and a bad value is a
refusal, not a traceback."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from executors.protocol import StepOutcome
from orchestration.engine import fanout
from plans import checkpoints, services
from plans.models import Plan, PlanEvent, PlanStep
from tests.factories import WORKER, approve, claim, finish, list_step, step, submit_plan


@pytest.fixture
def expanded(team: Any) -> dict[str, Any]:
    """The checkpoint of a plan whose fan-out step "each" (steps[1]) has made its items."""
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", [1, 2, 3]),
                step("each", "list", for_each={"over": "list", "max_concurrency": 2}),
            ],
        )
    )
    services.plan_start(plan=plan, actor=WORKER)
    assert finish(claim(plan, "list"), StepOutcome.success([1, 2, 3]))
    assert fanout.step_expand(claim=claim(plan, "each"), actor=WORKER) is None
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    assert [s["key"] for s in data["steps"]] == ["list", "each", "each[0]", "each[1]", "each[2]"]
    return data


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(CommandError) as error:
        call_command("import_checkpoint", "-", stdin=io.StringIO(json.dumps(data)))
    assert not Plan.objects.exists()
    assert not PlanStep.objects.exists()
    assert not PlanEvent.objects.exists()
    return str(error.value)


@pytest.mark.parametrize("value", [0, "two", 101, True, 1.5])
def test_it_refuses_a_max_concurrency_the_api_refuses(expanded: dict[str, Any], value: Any) -> None:
    expanded["steps"][1]["for_each"]["max_concurrency"] = value

    message = refusal(expanded)

    assert message.startswith("the checkpoint is not valid:")
    assert "steps[1].for_each.max_concurrency: must be a whole number from 1 to 100" in message


@pytest.mark.parametrize(
    ("for_each", "expected"),
    [
        (
            {"over": "nope"},
            "steps[1].for_each.over: must name one of the step's dependencies: list",
        ),
        ({"over": "list", "size": 3}, "steps[1].for_each.size: unknown field; allowed:"),
        ({"max_concurrency": 2}, "steps[1].for_each.over: is required"),
        (
            {"over": "list", "stages": [{"name": "fetch"}]},
            "steps[1].for_each.stages[0].executor: is required",
        ),
        (
            {"over": "list", "stages": [{"name": "a", "executor": "echo"}] * 2},
            "steps[1].for_each.stages[1].name: duplicate stage name 'a'",
        ),
    ],
)
def test_it_names_the_path_of_a_malformed_for_each(
    expanded: dict[str, Any], for_each: Any, expected: str
) -> None:
    expanded["steps"][1]["for_each"] = for_each

    assert expected in refusal(expanded)


def test_it_refuses_a_stage_executor_not_registered_here(team: Any) -> None:
    plan = submit_plan(
        team,
        [
            list_step("list", [1]),
            step(
                "each",
                "list",
                for_each={"over": "list", "stages": [{"name": "fetch", "executor": "echo"}]},
            ),
        ],
    )
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    data["steps"][1]["for_each"]["stages"][0]["executor"] = "gpu"

    message = refusal(data)

    assert message.startswith("executors not registered here: 'gpu' (step 'each'); registered:")


def test_it_restores_a_valid_fan_out_with_its_limit(expanded: dict[str, Any]) -> None:
    restored = checkpoints.checkpoint_restore(expanded)

    waiting = dict(restored.steps.filter(parent__isnull=False).values_list("key", "waiting_on"))
    assert waiting == {"each[0]": 0, "each[1]": 0, "each[2]": 1}
