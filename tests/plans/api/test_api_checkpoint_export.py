"""GET /plans/{id}/checkpoint: the plan, every step and artifact, for the token's team only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from plans import checkpoints
from plans.models import PlanStep
from tests.conftest import ApiClient
from tests.factories import step, submit_plan


def test_it_exports_the_plan_its_steps_and_artifacts(api: ApiClient, team: Any) -> None:
    plan = submit_plan(
        team,
        [step("a", params={"n": 1}), step("b", "a", hint="be brief"), step("c", "a", "b")],
        title="Q3 report",
        tags=["finance"],
        max_concurrency=3,
    )
    api.post(f"/plans/{plan.pk}/artifacts", {"title": "Notes", "summary": "*grew*"})
    PlanStep.objects.filter(plan=plan, key="a").update(
        status="completed", result={"rows": 3}, attempts=1, finished_at=timezone.now()
    )
    PlanStep.objects.filter(plan=plan, key="b").update(
        status="in_progress",
        attempts=2,
        lease_owner="host:1",
        lease_expires_at=timezone.now() + timedelta(seconds=30),
    )

    response = api.get(f"/plans/{plan.pk}/checkpoint")

    assert response.status_code == 200
    data = response.json()
    assert data["schema_version"] == checkpoints.SCHEMA_VERSION == 1
    assert data["exported_at"].endswith("+00:00")
    assert data["plan"]["id"] == str(plan.pk)
    assert data["plan"]["team"] == "acme"
    assert (data["plan"]["title"], data["plan"]["tags"]) == ("Q3 report", ["finance"])
    assert (data["plan"]["status"], data["plan"]["version"]) == ("draft", 2)
    assert data["plan"]["max_concurrency"] == 3
    steps = {s["key"]: s for s in data["steps"]}
    assert [s["key"] for s in data["steps"]] == ["a", "b", "c"]
    assert steps["a"]["status"] == "completed"
    assert steps["a"]["result"] == {"rows": 3}
    assert steps["a"]["params"] == {"n": 1}
    assert steps["b"]["hint"] == "be brief"
    assert (steps["b"]["status"], steps["b"]["attempts"]) == ("in_progress", 2)
    assert steps["c"]["depends_on"] == ["a", "b"]
    assert steps["c"]["parent"] is None
    # Leases belong to the workers of this database, not to the plan.
    assert not {"lease_owner", "lease_expires_at", "run_after", "waiting_on"} & set(steps["b"])
    assert [a["title"] for a in data["artifacts"]] == ["Notes"]
    # What the endpoint sends is what the importer accepts.
    assert checkpoints.checkpoint_parse(data).plan.id == plan.pk


def test_it_exports_fan_out_children_with_their_parent(api: ApiClient, team: Any) -> None:
    plan = submit_plan(team, [step("list"), step("each", "list", for_each={"over": "list"})])
    each = PlanStep.objects.get(plan=plan, key="each")
    PlanStep.objects.create(
        plan=plan,
        key="each[0]",
        task="do each",
        executor="echo",
        parent=each,
        item_index=0,
        item={"n": 1},
    )

    steps = {s["key"]: s for s in api.get(f"/plans/{plan.pk}/checkpoint").json()["steps"]}

    assert steps["each"]["for_each"] == {"over": "list"}
    assert steps["each[0]"]["parent"] == "each"
    assert (steps["each[0]"]["item_index"], steps["each[0]"]["item"]) == (0, {"n": 1})


def test_another_teams_plan_is_not_found(other_api: ApiClient, team: Any) -> None:
    plan = submit_plan(team)

    response = other_api.get(f"/plans/{plan.pk}/checkpoint")

    assert response.status_code == 404
    assert response.json() == {"detail": "plan not found"}


def test_it_needs_a_token(team: Any) -> None:
    plan = submit_plan(team)

    assert ApiClient("pgt_wrong").get(f"/plans/{plan.pk}/checkpoint").status_code == 401
