"""Export, delete, import: the same plan comes back, steps, results and dependencies included."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from plans.models import Plan, PlanEvent, PlanStep
from tests.conftest import ApiClient
from tests.factories import approve, step, submit_plan


def test_it_restores_the_plan_as_it_was_exported(api: ApiClient, team: Any, tmp_path: Path) -> None:
    plan = approve(
        submit_plan(
            team,
            [
                step("fetch", params={"source": "erp"}),
                step("count"),
                step("draft", "fetch", "count", hint="be brief"),
                step("each", "draft", for_each={"over": "draft"}),
            ],
        )
    )
    api.post(f"/plans/{plan.pk}/artifacts", {"title": "Notes", "parameters": {"q": 3}})
    now = timezone.now()
    Plan.objects.filter(pk=plan.pk).update(status="executing", started_at=now)
    PlanStep.objects.filter(plan=plan, key="fetch").update(
        status="completed", result={"rows": [1, 2]}, attempts=2, started_at=now, finished_at=now
    )
    PlanStep.objects.filter(plan=plan, key="count").update(
        status="skipped", skip_reason="done by hand", finished_at=now
    )
    PlanStep.objects.create(
        plan=plan,
        key="each[0]",
        task="do each",
        executor="echo",
        parent=PlanStep.objects.get(plan=plan, key="each"),
        item_index=0,
        item="x",
    )
    before = api.get(f"/plans/{plan.pk}/checkpoint").json()
    (tmp_path / "plan.json").write_text(json.dumps(before))
    plan_id = plan.pk
    plan.delete()

    out = io.StringIO()
    call_command("import_checkpoint", str(tmp_path / "plan.json"), stdout=out, stderr=io.StringIO())

    assert out.getvalue().strip() == str(plan_id)
    after = api.get(f"/plans/{plan_id}/checkpoint").json()
    assert {**after, "exported_at": None} == {**before, "exported_at": None}
    restored = PlanStep.objects.get(plan_id=plan_id, key="draft")
    assert sorted(d.key for d in restored.depends_on.all()) == ["count", "fetch"]
    assert restored.waiting_on == 0
    assert PlanStep.objects.get(plan_id=plan_id, key="each").waiting_on == 1
    event = PlanEvent.objects.get(plan_id=plan_id)
    assert event.kind == "plan.restored"
    assert event.actor == "system"
    assert event.data == {
        "exported_at": before["exported_at"],
        "schema_version": 1,
        "steps": 5,
        "finished": 2,
    }
