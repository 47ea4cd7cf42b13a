"""A plan's content read from the database as values is the content of its step objects: the
hash an approval checks is the hash its revision recorded."""

from __future__ import annotations

from typing import Any

import pytest

from plans import services
from plans.dependencies import attach_dependencies
from plans.revisions.content import content_hash, plan_content, plan_content_hash
from tests.factories import WORKER, step, submit_plan
from tests.plans.approvals.support import group

pytestmark = pytest.mark.django_db


def test_every_kind_of_step_field_reads_the_same_as_values_as_from_objects(team: Any) -> None:
    group(team, "treasury")
    plan = submit_plan(
        team,
        [
            step("fetch", params={"url": "https://example.com", "n": [1, 2.5]}, hint="read"),
            step("check", "fetch", max_attempts=2, timeout_seconds=30.5, context={"why": "x"}),
            step(
                "pay",
                "fetch",
                "check",
                approval={"group": "treasury", "count": 2},
                decision_deadline=900,
                on_timeout="skip",
                on_failure="ask",
                estimated_cost="1.25",
                guardrails={"output": [{"max_bytes": 100}]},
                quality={"path": "score", "min": 0.5},
            ),
            step("note", "pay", title="Write it down"),
        ],
    )
    services.step_skip(plan=plan, key="note", actor=WORKER, reason="not needed")
    steps = list(plan.steps.filter(parent=None).order_by("position"))
    attach_dependencies(steps)

    read = plan_content(plan)

    assert read == plan_content(plan, steps)
    assert [s["depends_on"] for s in read["steps"]] == [[], ["fetch"], ["check", "fetch"], ["pay"]]
    assert read["steps"][2]["approval"] == {"count": 2, "group": "treasury"}
    assert read["steps"][3]["skipped"] == "not needed"
    assert plan_content_hash(plan) == content_hash(plan_content(plan, steps))
