"""A shadow rule is evaluated and recorded ("would have ...") without acting."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plans.states import PlanStatus
from tests.factories import step, submit_plan
from tests.plans.policy.support import matched, put_policy, rule

SHADOWED = [
    ("forbid", {}, "would have forbidden"),
    ("require_gate", {}, "would have made the steps gates"),
    ("require_approvals", {"count": 3}, "would have required approvals"),
    ("auto_approve", {}, "would have auto-approved"),
    ("set_deadline", {"seconds": 60, "on_timeout": "cancel"}, "would have set the deadline"),
]


@pytest.mark.parametrize(("action", "options", "effect"), SHADOWED, ids=[s[0] for s in SHADOWED])
def test_a_shadow_rule_records_what_it_would_have_done_and_does_nothing(
    team: Any, reviewer: Any, action: str, options: dict[str, Any], effect: str
) -> None:
    team.max_required_approvals = 5
    team.save()
    put_policy(team, [rule("trial", action, {"executor_in": ["echo"]}, shadow=True, **options)])

    plan = submit_plan(team, [step("a")])

    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert plan.required_approvals == 1
    assert plan.deadline_at is None
    assert plan.steps.get().approval == "none"
    trial = matched(plan)["trial"]
    assert trial["shadow"] is True
    assert trial["applied"] is False
    assert trial["effect"] == effect
    assert trial["steps"] == ["a"]
    client = Client()
    client.force_login(reviewer)
    html = client.get(f"/plans/{plan.pk}/").content.decode()
    panel = html[html.index('id="plan-policy"') :]
    assert "0 rules acted, 1 in shadow mode" in panel
    assert effect.capitalize() in panel


def test_a_shadow_gate_does_not_override_auto_approve(team: Any) -> None:
    put_policy(
        team,
        [rule("ok", "auto_approve", {}), rule("trial", "require_gate", {}, shadow=True)],
    )

    plan = submit_plan(team)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
