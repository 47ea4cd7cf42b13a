"""The API lists a fan-out step's items under it, not among the plan's steps."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.factories import approve, list_step, step, submit_plan
from tests.orchestration.support import run_until_idle

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_gives_each_item_under_its_fan_out_step(api: ApiClient, team, worker):
    stages = [{"name": "one", "executor": "echo"}, {"name": "two", "executor": "echo"}]
    plan = approve(
        submit_plan(
            team,
            [
                list_step("list", ["p", "q"]),
                step("each", "list", for_each={"over": "list", "stages": stages}),
            ],
        )
    )
    run_until_idle(worker)

    data = api.get(f"/plans/{plan.pk}").json()

    assert [s["key"] for s in data["steps"]] == ["list", "each"]
    listed, each = data["steps"]
    assert (listed["for_each"], listed["items"]) == (None, [])
    assert each["for_each"] == {"over": "list", "stages": stages}
    assert [(i["key"], i["index"], i["stage"], i["status"]) for i in each["items"]] == [
        ("each[0].one", 0, "one", "completed"),
        ("each[0].two", 0, "two", "completed"),
        ("each[1].one", 1, "one", "completed"),
        ("each[1].two", 1, "two", "completed"),
    ]
    first = each["items"][0]
    assert first["item"] == "p"
    assert first["result"]["inputs"] == {"item": "p", "index": 0}
    assert each["items"][1]["item"] == first["result"]
    assert each["result"] == [each["items"][1]["result"], each["items"][3]["result"]]
