"""Every version of a plan is kept as a revision: at submission and at each version bump."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.models import PlanRevision, RevisionImmutable
from plans.revisions.content import content_hash, plan_content_hash
from tests.factories import step, submit_plan


def test_it_records_revision_1_at_submission(team: Any) -> None:
    plan = submit_plan(team, [step("a", params={"n": 1}), step("b", "a")], title="T")
    [revision] = PlanRevision.objects.filter(plan=plan)
    assert revision.version == 1
    assert revision.comment == "submitted"
    assert revision.content["title"] == "T"
    assert [s["key"] for s in revision.content["steps"]] == ["a", "b"]
    assert revision.content["steps"][0]["params"] == {"n": 1}
    assert revision.content["steps"][1]["depends_on"] == ["a"]
    assert revision.content_hash == content_hash(revision.content) == plan_content_hash(plan)


def test_it_records_the_next_revision_on_each_version_bump(team: Any) -> None:
    plan = submit_plan(team)
    services.artifact_add(
        plan=plan, actor=services.SYSTEM, draft=services.ArtifactDraft(title="Costs")
    )
    services.step_skip(plan=plan, key="b", actor=services.SYSTEM, reason="by hand")
    revisions = list(PlanRevision.objects.filter(plan=plan).order_by("version"))
    assert [r.version for r in revisions] == [1, 2, 3]
    assert revisions[1].content["artifacts"][0]["title"] == "Costs"
    assert revisions[1].comment == "artifact added: Costs"
    assert revisions[2].content["steps"][1]["skipped"] == "by hand"
    assert len({r.content_hash for r in revisions}) == 3


def test_a_revision_cannot_be_changed(team: Any) -> None:
    plan = submit_plan(team)
    revision = PlanRevision.objects.get(plan=plan, version=1)
    revision.comment = "rewritten"
    with pytest.raises(RevisionImmutable):
        revision.save()
    assert PlanRevision.objects.get(plan=plan, version=1).comment == "submitted"
