"""A malformed checkpoint is refused with the JSON path of every problem, and nothing is written."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from plans import checkpoints
from plans.models import Plan, PlanEvent, PlanningArtifact, PlanStep
from tests.factories import step, submit_plan


@pytest.fixture
def exported(team: Any) -> dict[str, Any]:
    plan = submit_plan(team, [step("a"), step("b", "a"), step("c", "b")])
    data = checkpoints.checkpoint_for_plan(plan)
    plan.delete()
    return data


def refusal(data: Any) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(CommandError) as error:
        call_command("import_checkpoint", "-", stdin=io.StringIO(text))
    assert not Plan.objects.exists()
    assert not PlanStep.objects.exists()
    assert not PlanningArtifact.objects.exists()
    assert not PlanEvent.objects.exists()
    return str(error.value)


def test_it_names_every_wrong_path(exported: dict[str, Any]) -> None:
    exported["plan"]["status"] = "paused"
    exported["plan"]["version"] = "2"
    del exported["steps"][1]["task"]
    exported["steps"][2]["attempts"] = -1
    exported["steps"][0]["colour"] = "red"

    message = refusal(exported)

    assert message.startswith("the checkpoint is not valid:")
    assert "plan.status: must be one of 'draft', 'changes_requested', 'approved'," in message
    assert "plan.version: Input should be a valid integer" in message
    assert "steps[1].task: Field required" in message
    assert "steps[2].attempts: Input should be greater than or equal to 0" in message
    assert "steps[0].colour: Extra inputs are not permitted" in message


def change(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(data: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = data
        for part in parents:
            target = target[part]
        target[last] = value

    return apply


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (change("schema_version", 0), "schema_version: unknown schema version 0"),
        (change("schema_version", "1"), "schema_version: must be an integer, not '1'"),
        (change("steps.2.depends_on", ["b", "z"]), "steps[2].depends_on[1]: no step 'z'"),
        (change("steps.1.key", "a"), "steps[1].key: duplicate key 'a' (also at steps[0])"),
        (change("steps.0.depends_on", ["c"]), "steps[0].depends_on: dependency cycle: a -> c"),
        (change("steps.0.parent", "nope"), "steps[0].parent: no step 'nope'"),
        (change("steps.0.params", {"x": "a\x00b"}), "steps[0].params.x: contains a NUL"),
        (change("steps.0.started_at", "2026-01-01T10:00:00"), "steps[0].started_at: Input should"),
        (change("steps", []), "steps: List should have at least 1 item"),
        (change("plan.id", "not-a-uuid"), "plan.id: Input should be a valid UUID"),
    ],
)
def test_it_names_the_path_that_is_wrong(
    exported: dict[str, Any], edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    edit(exported)

    assert expected in refusal(exported)


def test_it_refuses_what_is_not_a_checkpoint(db: Any) -> None:
    assert "(top level): a checkpoint is a JSON object" in refusal("[1, 2]")
    assert "schema_version: missing" in refusal({"plan": {}})
    assert refusal("{not json").startswith("standard input is not valid JSON")
    assert refusal('{"schema_version": NaN}') == (
        "standard input is not valid JSON: NaN is not a JSON number"
    )
